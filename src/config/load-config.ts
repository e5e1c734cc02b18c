/**
 * The configuration pipeline: INI files (later files override earlier ones,
 * as oslo.config does with repeated --config-file) → every value parsed and
 * validated against {@link CONFIG_DEFS} → one frozen object. A bad value stops
 * start-up with the file, section and key named; an unknown key is a warning.
 */
import { readFileSync } from 'node:fs';
import { BridgeError } from '../errors/bridge-error.js';
import type { ConfigDefs, OptionDef, ResolvedConfig } from './option-types.js';
import { CONFIG_DEFS, type BridgeConfig } from './options/index.js';

/** Raw text of one option as found in a file. */
interface RawValue {
  value: string;
  file: string;
}

/** Section → key → where the winning value came from. */
type RawConfig = Map<string, Map<string, RawValue>>;

export interface LoadConfigOptions {
  /** Called for unknown sections/keys and deprecated names. */
  warn?: (message: string) => void;
  /** Extra values applied after the files (tests, CLI flags): section → key → raw text. */
  overrides?: Record<string, Record<string, string>>;
}

/** Loads and validates the service configuration. */
export function loadConfig(files: readonly string[], options: LoadConfigOptions = {}): BridgeConfig {
  return resolveConfig(CONFIG_DEFS, readIniFiles(files), options);
}

/** Reads INI files into raw strings, later files overriding earlier ones. */
export function readIniFiles(files: readonly string[]): RawConfig {
  const raw: RawConfig = new Map();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new BridgeError('ERR_CONFIG_INVALID', `cannot read config file ${file}: ${(err as Error).message}`, { cause: err, details: { file } });
    }
    mergeIniText(raw, text, file);
  }
  return raw;
}

/** One `key = value` line of an INI file. */
export interface IniEntry {
  readonly section: string;
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

/**
 * Parses INI text the way oslo.config does, so a file that works for an
 * OpenStack service means the same here: only whole lines starting with `#` or
 * `;` are comments (a `#` or `;` inside a value is part of it, e.g. in a
 * password), `key = value` or `key: value`, one pair of matching surrounding
 * quotes is stripped, and keys before any [section] header belong to [DEFAULT].
 * (The `ini` package cut values at the first `#`/`;` and JSON-parsed quoted ones.)
 */
export function parseIniText(text: string, file: string): IniEntry[] {
  const entries: IniEntry[] = [];
  let section = 'DEFAULT';
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    const lineNo = i + 1;
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) {
      const name = line.endsWith(']') ? line.slice(1, -1).trim() : '';
      if (name === '') throw syntaxError(file, lineNo, 'invalid section header: expected "[name]"');
      section = name;
      continue;
    }
    const eq = line.indexOf('=');
    const colon = line.indexOf(':');
    const sep = eq < 0 ? colon : colon < 0 ? eq : Math.min(eq, colon);
    // The line is not echoed: it may be a mangled secret.
    if (sep < 0) throw syntaxError(file, lineNo, 'expected "key = value", "[section]" or a comment');
    const key = line.slice(0, sep).trim();
    if (key === '') throw syntaxError(file, lineNo, 'missing option name before "="');
    let value = line.slice(sep + 1).trim();
    const q = value[0];
    if (value.length >= 2 && (q === '"' || q === "'") && value.endsWith(q)) value = value.slice(1, -1);
    entries.push({ section, key, value, line: lineNo });
  }
  return entries;
}

function syntaxError(file: string, line: number, reason: string): BridgeError {
  return new BridgeError('ERR_CONFIG_INVALID', `${file}:${line}: ${reason}`, { details: { file, line } });
}

export function mergeIniText(raw: RawConfig, text: string, file: string): void {
  for (const e of parseIniText(text, file)) setRaw(raw, e.section, e.key, e.value, file);
}

function setRaw(raw: RawConfig, section: string, key: string, value: string, file: string): void {
  let sec = raw.get(section);
  if (!sec) raw.set(section, (sec = new Map()));
  sec.set(key, { value, file });
}

/** Applies definitions to raw values; generic so tests can use small definition tables. */
export function resolveConfig<D extends ConfigDefs>(defs: D, raw: RawConfig, options: LoadConfigOptions = {}): ResolvedConfig<D> {
  const warn = options.warn ?? (() => undefined);
  for (const [section, values] of Object.entries(options.overrides ?? {})) {
    for (const [key, value] of Object.entries(values)) setRaw(raw, section, key, value, '<override>');
  }
  for (const [section, keys] of raw) {
    const def = defs[section];
    if (!def) {
      warn(`unknown section [${section}] in ${[...new Set([...keys.values()].map((v) => v.file))].join(', ')}: ignored`);
      continue;
    }
    for (const [key, where] of keys) {
      if (key in def.options) continue;
      const target = Object.entries(def.options).find(([, o]) => o.deprecatedNames?.includes(key));
      if (target) warn(`${where.file}: [${section}] ${key} is deprecated; use ${target[0]}`);
      else warn(`${where.file}: unknown option [${section}] ${key}: ignored`);
    }
  }
  const out: Record<string, Record<string, unknown>> = {};
  for (const [section, def] of Object.entries(defs)) {
    const values: Record<string, unknown> = {};
    for (const [key, opt] of Object.entries(def.options)) {
      values[key] = resolveOne(section, key, opt, raw.get(section));
    }
    out[section] = Object.freeze(values);
  }
  return Object.freeze(out) as ResolvedConfig<D>;
}

function resolveOne(section: string, key: string, opt: OptionDef<unknown>, values: Map<string, RawValue> | undefined): unknown {
  const found = values?.get(key) ?? opt.deprecatedNames?.map((n) => values?.get(n)).find((v) => v !== undefined);
  if (!found) return typeof opt.default === 'function' ? (opt.default as () => unknown)() : opt.default;
  try {
    return opt.parse(found.value);
  } catch (err) {
    // A secret's parse error may quote part of it (a password with an unescaped "," reads as a
    // port): only the fact that it is invalid is said.
    const shown = opt.secret ? '<secret>' : JSON.stringify(found.value);
    const why = opt.secret ? 'invalid (details are not shown for a secret option; check its syntax and URL-escape special characters)' : (err as Error).message;
    throw new BridgeError(
      'ERR_CONFIG_INVALID',
      `${found.file}: [${section}] ${key} = ${shown}: ${why}`,
      { cause: err, details: { file: found.file, section, key } },
    );
  }
}
