/**
 * Hand-written validation of JSON arguments. Each reader checks one value and
 * throws ERR_INVALID_ARGUMENT naming the exact field (`instance.flavor.vcpus`),
 * what was expected and what arrived, so a bad payload is fixable from the
 * message alone.
 */
import { BridgeError } from '../errors/bridge-error.js';

export type JsonObject = Record<string, unknown>;

/** Short, safe rendering of a received value for error messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return v.length > 40 ? `a string of ${v.length} characters` : JSON.stringify(v);
  return `${typeof v} ${String(v)}`;
}

export function invalid(field: string, message: string, extra: Record<string, unknown> = {}): BridgeError {
  return new BridgeError('ERR_INVALID_ARGUMENT', `${field} ${message}`, { details: { field, ...extra } });
}

function expected(field: string, what: string, got: unknown): BridgeError {
  return invalid(field, `must be ${what}, got ${describeValue(got)}`);
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function reqObject(v: unknown, field: string): JsonObject {
  if (!isObject(v)) throw expected(field, 'an object', v);
  return v;
}

export function optObject(v: unknown, field: string): JsonObject | null {
  if (v === undefined || v === null) return null;
  return reqObject(v, field);
}

export interface StringRules {
  /** Maximum length in characters. */
  readonly max?: number;
  /** Minimum length in characters (default 0). */
  readonly min?: number;
  readonly pattern?: RegExp;
  /** How the pattern is explained in messages. */
  readonly patternText?: string;
  /** Reject control characters (U+0000–U+001F, U+007F). Default true. */
  readonly noControl?: boolean;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function checkString(v: string, field: string, rules: StringRules): string {
  if (rules.min !== undefined && v.length < rules.min) throw invalid(field, rules.min === 1 ? 'must not be empty' : `must have at least ${rules.min} characters`);
  if (rules.max !== undefined && v.length > rules.max) throw invalid(field, `must have at most ${rules.max} characters, got ${v.length}`);
  if ((rules.noControl ?? true) && CONTROL.test(v)) throw invalid(field, 'must not contain control characters');
  if (rules.pattern && !rules.pattern.test(v)) throw invalid(field, `must be ${rules.patternText ?? `a string matching ${rules.pattern.source}`}, got ${describeValue(v)}`);
  return v;
}

export function reqString(v: unknown, field: string, rules: StringRules = {}): string {
  if (typeof v !== 'string') throw expected(field, 'a string', v);
  return checkString(v, field, rules);
}

export function optString(v: unknown, field: string, rules: StringRules = {}): string | null {
  if (v === undefined || v === null) return null;
  return reqString(v, field, rules);
}

export interface IntRules {
  readonly min?: number;
  readonly max?: number;
}

export function reqInt(v: unknown, field: string, rules: IntRules = {}): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw expected(field, 'an integer', v);
  if (rules.min !== undefined && v < rules.min) throw invalid(field, `must be >= ${rules.min}, got ${v}`);
  if (rules.max !== undefined && v > rules.max) throw invalid(field, `must be <= ${rules.max}, got ${v}`);
  return v;
}

export function optInt(v: unknown, field: string, fallback: number, rules: IntRules = {}): number {
  if (v === undefined || v === null) return fallback;
  return reqInt(v, field, rules);
}

export function optBool(v: unknown, field: string, fallback: boolean): boolean {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw expected(field, 'true or false', v);
  return v;
}

export function reqArray(v: unknown, field: string, maxItems: number): unknown[] {
  if (!Array.isArray(v)) throw expected(field, 'an array', v);
  if (v.length > maxItems) throw invalid(field, `must have at most ${maxItems} items, got ${v.length}`);
  return v;
}

export function optArray(v: unknown, field: string, maxItems: number): unknown[] {
  if (v === undefined || v === null) return [];
  return reqArray(v, field, maxItems);
}

/** Bounds for {@link stringMap}. */
export interface MapRules {
  readonly maxItems: number;
  readonly key: StringRules;
  readonly value: StringRules;
  /** Accept null values (kept as null). */
  readonly nullValues?: boolean;
}

/** An object whose values are all strings (Nova's metadata, extra_specs, system_metadata). */
export function stringMap(v: unknown, field: string, rules: MapRules & { nullValues: true }): Record<string, string | null>;
export function stringMap(v: unknown, field: string, rules: MapRules): Record<string, string>;
export function stringMap(v: unknown, field: string, rules: MapRules): Record<string, string | null> {
  if (v === undefined || v === null) return {};
  const o = reqObject(v, field);
  const entries = Object.entries(o);
  if (entries.length > rules.maxItems) throw invalid(field, `must have at most ${rules.maxItems} entries, got ${entries.length}`);
  const out: Record<string, string | null> = {};
  for (const [k, val] of entries) {
    const keyField = `${field}[${JSON.stringify(k)}]`;
    checkString(k, `${field} key ${JSON.stringify(k.slice(0, 40))}`, { ...rules.key, min: rules.key.min ?? 1 });
    if (val === null && rules.nullValues) {
      out[k] = null;
      continue;
    }
    out[k] = reqString(val, keyField, rules.value);
  }
  return out;
}
