/**
 * JSON text exactly as Python's `json.dumps` writes it with default arguments:
 * separators ", " and ": ", and `ensure_ascii` (everything outside printable
 * ASCII as \uXXXX, surrogate pairs included). oslo peers accept compact JSON
 * too, but writing what a Python peer writes makes captures comparable byte for
 * byte and leaves nothing to tell us apart.
 */

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

// Python's ESCAPE_ASCII: a quote, a backslash, or anything outside " ".."~".
const NEEDS_ESCAPE = /["\\]|[^ -~]/g;

function escapeChar(ch: string): string {
  return ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

export function pyString(s: string): string {
  return `"${s.replace(NEEDS_ESCAPE, escapeChar)}"`;
}

function pyNumber(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity';
  // Python's float repr switches to exponent notation below 1e-4 where JavaScript waits
  // until 1e-6 (0.00001 is "1e-05" in Python). Integral values stay integers: JavaScript
  // cannot tell a Python int from a float, and ints are what peers send.
  const s = n !== 0 && Math.abs(n) < 1e-4 ? n.toExponential() : String(n);
  // Python writes exponents with at least two digits: 1e-07, 1e+16.
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** Serializes like Python's `json.dumps(value)`. Undefined members are dropped as JSON.stringify does. */
export function pyJsonDumps(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return pyString(value);
    case 'number':
      return pyNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        return `[${value.map((v) => (v === undefined || typeof v === 'function' ? 'null' : pyJsonDumps(v))).join(', ')}]`;
      }
      const withToJson = value as { toJSON?: () => unknown };
      if (typeof withToJson.toJSON === 'function') return pyJsonDumps(withToJson.toJSON());
      const parts: string[] = [];
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
        parts.push(`${pyString(k)}: ${pyJsonDumps(v)}`);
      }
      return `{${parts.join(', ')}}`;
    }
    default:
      return 'null';
  }
}
