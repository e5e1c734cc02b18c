/**
 * pyJsonDumps against what Python's json.dumps (default arguments) really
 * writes. The expected column was produced by /usr/bin/python3 (json.dumps)
 * and pasted here; the inputs are the same values as JSON literals.
 */
import { describe, expect, test } from 'vitest';
import { pyJsonDumps, pyString } from '../../../src/rpc/python-json.js';

// [case, value, json.dumps(value)]
const PYTHON_OUTPUTS: Array<[string, unknown, string]> = [
  ["empty object", {}, "{}"],
  ["empty array", [], "[]"],
  ["nested", {"a": [1, {"b": null, "c": [true, false]}], "d": {}}, "{\"a\": [1, {\"b\": null, \"c\": [true, false]}], \"d\": {}}"],
  ["ascii string", "hello", "\"hello\""],
  ["quotes and backslash", "say \"hi\" \\ there", "\"say \\\"hi\\\" \\\\ there\""],
  ["control chars", "\n\r\t\b\f\u0000\u0001\u001f", "\"\\n\\r\\t\\b\\f\\u0000\\u0001\\u001f\""],
  ["DEL 0x7f", "a\u007fb", "\"a\\u007fb\""],
  ["latin-1", "h\u00e9llo", "\"h\\u00e9llo\""],
  ["euro sign", "\u20ac", "\"\\u20ac\""],
  ["emoji as surrogate pair", "\ud83d\ude00", "\"\\ud83d\\ude00\""],
  ["mixed unicode", "h\u00e9llo \u20ac \ud83d\ude00", "\"h\\u00e9llo \\u20ac \\ud83d\\ude00\""],
  ["slash not escaped", "a/b", "\"a/b\""],
  ["U+2028", "\u2028", "\"\\u2028\""],
  ["float 3.5", 3.5, "3.5"],
  ["float 1e-07", 1e-07, "1e-07"],
  ["float 1e-05", 1e-05, "1e-05"],
  ["float 0.0001", 0.0001, "0.0001"],
  ["float 1.5e-06", 1.5e-06, "1.5e-06"],
  ["float 0.1", 0.1, "0.1"],
  ["negative float", -2.25, "-2.25"],
  ["float 1.5e300", 1.5e+300, "1.5e+300"],
  ["int", 42, "42"],
  ["negative int", -7, "-7"],
  ["zero", 0, "0"],
  ["2**53", 9007199254740992, "9007199254740992"],
  ["float 123456.789", 123456.789, "123456.789"],
  ["unicode key", {"\u043a\u043b\u044e\u0447": "\u0437\u043d\u0430\u0447\u0435\u043d\u0438\u0435"}, "{\"\\u043a\\u043b\\u044e\\u0447\": \"\\u0437\\u043d\\u0430\\u0447\\u0435\\u043d\\u0438\\u0435\"}"],
  ["array of mixed", [1, "two", null, 3.25, {"k": []}], "[1, \"two\", null, 3.25, {\"k\": []}]"],
];

describe('pyJsonDumps matches Python json.dumps', () => {
  test.each(PYTHON_OUTPUTS)('%s', (_name, value, expected) => {
    expect(pyJsonDumps(value)).toBe(expected);
  });

  test('output parses back to the same value (JSON.parse agrees with the escapes)', () => {
    for (const [, value] of PYTHON_OUTPUTS) expect(JSON.parse(pyJsonDumps(value))).toEqual(value);
  });

  test('a JSON-encoded string nested in JSON (the oslo.message layer) is escaped twice like Python does', () => {
    // json.dumps({"oslo.message": json.dumps({"m": "é\n"})})
    const inner = pyJsonDumps({ m: 'é\n' });
    expect(pyJsonDumps({ 'oslo.message': inner })).toBe('{"oslo.message": "{\\"m\\": \\"\\\\u00e9\\\\n\\"}"}');
  });

  test('lone surrogates are escaped, not replaced (Python keeps them as \\udXXX)', () => {
    expect(pyString('a\ud800b')).toBe('"a\\ud800b"');
  });

  test('insertion order of keys is kept, as in a Python dict', () => {
    expect(pyJsonDumps({ z: 1, a: 2, m: 3 })).toBe('{"z": 1, "a": 2, "m": 3}');
  });

  test('undefined members are dropped and undefined array items become null, like JSON.stringify', () => {
    expect(pyJsonDumps({ a: undefined, b: 1 })).toBe('{"b": 1}');
    expect(pyJsonDumps([undefined, 1])).toBe('[null, 1]');
  });

  test('non-finite numbers are written like Python (NaN, Infinity)', () => {
    expect(pyJsonDumps([Number.NaN, Infinity, -Infinity])).toBe('[NaN, Infinity, -Infinity]');
  });

  test('toJSON is honoured (Dates become ISO strings)', () => {
    expect(pyJsonDumps({ at: new Date('2024-01-02T03:04:05.000Z') })).toBe('{"at": "2024-01-02T03:04:05.000Z"}');
  });
});
