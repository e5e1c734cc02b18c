/**
 * isVersionCompatible against oslo_messaging._utils.version_is_compatible.
 * The expected column was produced by running the installed Python function
 * (/usr/bin/python3, oslo.messaging 14.0.3) on each pair.
 */
import { describe, expect, test } from 'vitest';
import { isVersionCompatible, parseVersion, VersionError } from '../../../src/rpc/rpc-version.js';

type Outcome = boolean | `${'ValueError' | 'IndexError'}: ${string}`;

// [served (endpoint), requested, version_is_compatible(served, requested)]
const PYTHON_TABLE: Array<[string, string, Outcome]> = [
  ['1.3', '1.3', true],
  ['1.3', '1.0', true],
  ['1.3', '1.4', false],
  ['1.3', '2.0', false],
  ['2.0', '1.0', false],
  ['1.3', '1.3.1', false],
  ['1.3.2', '1.3.1', true],
  ['1.3.2', '1.3.2', true],
  ['1.3.2', '1.3.3', false],
  ['1.3', '1.2.9', true],
  ['6.1', '6.0', true],
  ['5.13', '5.2', true],
  ['5.13', '5.14', false],
  ['1.10', '1.9', true],
  ['1.9', '1.10', false],
  ['1.3', '2', false],
  ['1.3', '1', 'IndexError: list index out of range'],
  ['1', '1.0', 'IndexError: list index out of range'],
  ['1.3', 'abc', "ValueError: invalid literal for int() with base 10: 'abc'"],
  ['1.3', '1.x', "ValueError: invalid literal for int() with base 10: 'x'"],
  ['1.3', ' 1 . 2 ', true],
  ['1.3', '1.3.x', "ValueError: invalid literal for int() with base 10: 'x'"],
  ['1.3', '1.2.x', true],
  ['1.3', '1.3.0.5', true],
  ['1.0', '1.0', true],
  ['1.3', '-1.0', false],
  ['1.3', '+1.2', true],
  ['1.3', '', "ValueError: invalid literal for int() with base 10: ''"],
  ['1.3', '1.', "ValueError: invalid literal for int() with base 10: ''"],
  ['1.3', '01.02', true],
];

function outcome(served: string, requested: string): Outcome {
  try {
    return isVersionCompatible(served, requested);
  } catch (err) {
    if (!(err instanceof VersionError)) throw err;
    return `${err.pythonClass}: ${err.message}`;
  }
}

describe('isVersionCompatible = oslo version_is_compatible', () => {
  test.each(PYTHON_TABLE)('served %j, requested %j → %j', (served, requested, expected) => {
    expect(outcome(served, requested)).toBe(expected);
  });
});

describe('parseVersion', () => {
  test.each([
    ['1.3', [1, 3, 0]],
    ['6.1.2', [6, 1, 2]],
    ['1_0.2', [10, 2, 0]],
  ] as const)('%j → %j', (v, expected) => {
    expect(parseVersion(v)).toEqual(expected);
  });

  test.each([
    ['1', 'IndexError'],
    ['a.1', 'ValueError'],
    ['1.2.b', 'ValueError'],
  ] as const)('%j raises %s', (v, cls) => {
    expect(() => parseVersion(v)).toThrow(VersionError);
    try {
      parseVersion(v);
    } catch (err) {
      expect((err as VersionError).pythonClass).toBe(cls);
    }
  });
});
