import { describe, expect, it } from 'vitest';
import { compareApiVersions, negotiateApiVersion, type ApiVersionChoice } from '../../../src/docker/api-version.js';

describe('compareApiVersions', () => {
  it.each([
    ['1.41', '1.41', 0],
    ['1.41', '1.40', 1],
    ['1.9', '1.41', -1],
    ['1.100', '1.99', 1],
    ['2.0', '1.99', 1],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareApiVersions(a, b))).toBe(sign);
  });
});

describe('negotiateApiVersion', () => {
  const table: Array<[string, string | null, ApiVersionChoice]> = [
    ['1.41', '1.12', { ok: true, version: '1.41' }], // Docker 20.10: ours
    ['1.43', '1.12', { ok: true, version: '1.41' }], // newer Engine that still accepts ours
    ['1.40', '1.12', { ok: true, version: '1.40' }], // Docker 19.03: its own
    ['1.51', '1.44', { ok: true, version: '1.44' }], // newer Engine that dropped ours
    ['1.51', null, { ok: true, version: '1.41' }],
  ];
  it.each(table)('Engine max %s min %s', (max, min, choice) => {
    expect(negotiateApiVersion(max, min)).toEqual(choice);
  });

  it('refuses an Engine older than 1.40, naming the requirement', () => {
    const c = negotiateApiVersion('1.39', '1.12');
    expect(c.ok).toBe(false);
    expect(!c.ok && c.reason).toMatch(/1\.39 is too old: at least 1\.40/);
  });
  it('refuses an unparsable version', () => {
    expect(negotiateApiVersion('', null).ok).toBe(false);
    expect(negotiateApiVersion('latest', null).ok).toBe(false);
  });
});
