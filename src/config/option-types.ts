/**
 * Typed option definitions. Each option knows its type, default, help text and
 * how to parse an INI string; the resolved configuration's TypeScript type is
 * derived from the definitions, so docs, the sample file and the code cannot
 * drift apart.
 */

/** Parses the raw INI text of one option; throws a plain Error with a human reason. */
export type OptionParser<T> = (raw: string) => T;

export interface OptionDef<T> {
  readonly kind: string;
  readonly help: string;
  /** Default value, or a function computed at load time (e.g. the hostname). */
  readonly default: T | (() => T);
  /** How the default is shown in docs and the sample file when it is computed. */
  readonly defaultText?: string;
  readonly parse: OptionParser<T>;
  /** Hidden in logs and `config show` output. */
  readonly secret?: boolean;
  /** Older names accepted in the same section (warned about). */
  readonly deprecatedNames?: readonly string[];
  /** Shown in docs: allowed values or range. */
  readonly constraint?: string;
}

interface Common<T> {
  help: string;
  default: T | (() => T);
  defaultText?: string;
  secret?: boolean;
  deprecatedNames?: readonly string[];
}

export function stringOpt(
  o: Common<string> & { pattern?: RegExp; patternText?: string; nonEmpty?: boolean; validate?: (raw: string) => void },
): OptionDef<string> {
  return {
    ...o,
    kind: 'string',
    constraint: o.patternText,
    parse: (raw) => {
      if (o.nonEmpty && raw.trim() === '') throw new Error('must not be empty');
      if (o.pattern && !o.pattern.test(raw)) throw new Error(`must match ${o.patternText ?? o.pattern.source}`);
      o.validate?.(raw);
      return raw;
    },
  };
}

export function optionalStringOpt(o: Common<string | null>): OptionDef<string | null> {
  return { ...o, kind: 'string', parse: (raw) => (raw.trim() === '' ? null : raw) };
}

export function intOpt(o: Common<number> & { min?: number; max?: number }): OptionDef<number> {
  return {
    ...o,
    kind: 'integer',
    constraint: rangeText(o.min, o.max),
    parse: (raw) => {
      const t = raw.trim();
      if (!/^[-+]?\d+$/.test(t)) throw new Error(`must be an integer, got ${JSON.stringify(raw)}`);
      return checkRange(Number(t), o.min, o.max);
    },
  };
}

export function floatOpt(o: Common<number> & { min?: number; max?: number }): OptionDef<number> {
  return {
    ...o,
    kind: 'float',
    constraint: rangeText(o.min, o.max),
    parse: (raw) => {
      const t = raw.trim();
      const n = Number(t);
      if (t === '' || !Number.isFinite(n)) throw new Error(`must be a number, got ${JSON.stringify(raw)}`);
      return checkRange(n, o.min, o.max);
    },
  };
}

const TRUE = new Set(['true', 'yes', 'on', '1']);
const FALSE = new Set(['false', 'no', 'off', '0']);

export function boolOpt(o: Common<boolean>): OptionDef<boolean> {
  return {
    ...o,
    kind: 'boolean',
    constraint: 'true/false',
    parse: (raw) => {
      const t = raw.trim().toLowerCase();
      if (TRUE.has(t)) return true;
      if (FALSE.has(t)) return false;
      throw new Error(`must be true or false, got ${JSON.stringify(raw)}`);
    },
  };
}

export function enumOpt<const C extends readonly string[]>(o: Common<C[number]> & { choices: C }): OptionDef<C[number]> {
  return {
    ...o,
    kind: 'string',
    constraint: `one of: ${o.choices.join(', ')}`,
    parse: (raw) => {
      const t = raw.trim();
      if (!(o.choices as readonly string[]).includes(t)) throw new Error(`must be one of ${o.choices.join(', ')}, got ${JSON.stringify(raw)}`);
      return t as C[number];
    },
  };
}

/** A comma-separated list; each item optionally validated. */
export function listOpt(o: Common<readonly string[]> & { item?: (s: string) => string; itemText?: string; nonEmpty?: boolean }): OptionDef<readonly string[]> {
  const { nonEmpty, ...common } = o;
  return {
    ...common,
    kind: 'list',
    constraint: `${nonEmpty ? 'non-empty ' : ''}${o.itemText ? `comma-separated ${o.itemText}` : 'comma-separated list'}`,
    parse: (raw) => {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
        .map((s) => (o.item ? o.item(s) : s));
      // An empty value here would refuse everything (every spawn, every endpoint) without a word.
      if (nonEmpty && items.length === 0) throw new Error('must list at least one value (remove the line to get the default)');
      return Object.freeze(items);
    },
  };
}

function rangeText(min?: number, max?: number): string | undefined {
  if (min === undefined && max === undefined) return undefined;
  if (max === undefined) return `>= ${min}`;
  if (min === undefined) return `<= ${max}`;
  return `${min}..${max}`;
}

function checkRange(n: number, min?: number, max?: number): number {
  if (min !== undefined && n < min) throw new Error(`must be >= ${min}, got ${n}`);
  if (max !== undefined && n > max) throw new Error(`must be <= ${max}, got ${n}`);
  return n;
}

/** A section: option name → definition. */
export type SectionDefs = Record<string, OptionDef<unknown>>;
/** All sections: section name → options. */
export type ConfigDefs = Record<string, { readonly help: string; readonly options: SectionDefs }>;

type ValueOf<D> = D extends OptionDef<infer T> ? T : never;

/** The resolved, immutable configuration type derived from definitions. */
export type ResolvedConfig<Defs extends ConfigDefs> = {
  readonly [S in keyof Defs]: { readonly [K in keyof Defs[S]['options']]: ValueOf<Defs[S]['options'][K]> };
};
