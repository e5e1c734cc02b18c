/**
 * The configuration pipeline: INI files (later files override earlier ones,
 * as oslo.config does with repeated --config-file) → every value parsed and
 * validated against {@link CONFIG_DEFS} → one frozen object. A bad value stops
 * start-up with the file, section and key named; an unknown key is a warning.
 */
import { readFileSync } from 'node:fs';
import ini from 'ini';
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

export function mergeIniText(raw: RawConfig, text: string, file: string): void {
  const parsed = ini.parse(text) as Record<string, unknown>;
  for (const [key, value] of Object.entries(parsed)) {
    if (isPlainObject(value)) {
      for (const [k, v] of flattenSection(key, value)) setRaw(raw, k[0], k[1], v, file);
    } else {
      // Keys before any [section] header belong to [DEFAULT], as in oslo.config.
      setRaw(raw, 'DEFAULT', key, value, file);
    }
  }
}

function flattenSection(name: string, obj: Record<string, unknown>): Array<[[string, string], unknown]> {
  const out: Array<[[string, string], unknown]> = [];
  for (const [k, v] of Object.entries(obj)) {
    // The ini package nests "[a.b]" headers as a → b; put the dotted name back.
    if (isPlainObject(v)) out.push(...flattenSection(`${name}.${k}`, v));
    else out.push([[name, k], v]);
  }
  return out;
}

function setRaw(raw: RawConfig, section: string, key: string, value: unknown, file: string): void {
  let sec = raw.get(section);
  if (!sec) raw.set(section, (sec = new Map()));
  // The ini package turns true/false into booleans and "k[]" into arrays; options are parsed from text.
  const text = Array.isArray(value) ? value.map(String).join(',') : String(value);
  sec.set(key, { value: text, file });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
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
    const shown = opt.secret ? '<secret>' : JSON.stringify(found.value);
    throw new BridgeError(
      'ERR_CONFIG_INVALID',
      `${found.file}: [${section}] ${key} = ${shown}: ${(err as Error).message}`,
      { cause: err, details: { file: found.file, section, key } },
    );
  }
}
