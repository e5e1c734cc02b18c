import { describe, expect, it } from 'vitest';
import { ENV_LIMITS, envName, isReservedEnvName, metadataToEnv } from '../../../../src/compute/translate/environment.js';

describe('envName', () => {
  it.each([
    ['role', 'role'],
    ['cluster-name', 'cluster_name'],
    ['a.b c', 'a_b_c'],
    ['9lives', '_9lives'],
    ['ünïcode', '_n_code'],
    ['x'.repeat(300), 'x'.repeat(255)],
  ])('%s → %s', (key, name) => {
    expect(envName(key)).toBe(name);
  });
});

describe('isReservedEnvName', () => {
  it.each([
    ['PATH', true],
    ['path', true],
    ['HOME', true],
    ['LD_PRELOAD', true],
    ['LD_LIBRARY_PATH', true],
    ['ld_audit', true],
    ['BASH_ENV', true],
    ['BASH_FUNC_x%%', true],
    ['container', true],
    ['ROLE', false],
    ['LDAP_URI', false],
    ['PATHFINDER', false],
  ])('%s → %s', (name, reserved) => {
    expect(isReservedEnvName(name)).toBe(reserved);
  });
});

describe('metadataToEnv', () => {
  it('exports sanitized, sorted variables', () => {
    expect(metadataToEnv({ role: 'worker', 'cluster-name': 'c1', empty: '' })).toEqual({ env: ['cluster_name=c1', 'empty=', 'role=worker'], skipped: [] });
  });

  it('keeps values verbatim (spaces, "=", newlines, unicode)', () => {
    expect(metadataToEnv({ a: 'x=y z\nw ü' }).env).toEqual(['a=x=y z\nw ü']);
  });

  it('never sets reserved variables, and says why', () => {
    const r = metadataToEnv({ PATH: '/evil', 'LD.PRELOAD': '/evil.so', home: '/x', ok: '1' });
    expect(r.env).toEqual(['ok=1']);
    expect(r.skipped).toEqual([
      { key: 'LD.PRELOAD', reason: 'LD_PRELOAD is reserved' },
      { key: 'PATH', reason: 'PATH is reserved' },
      { key: 'home', reason: 'home is reserved' },
    ]);
  });

  it('resolves name collisions deterministically (first key in sort order wins)', () => {
    const r = metadataToEnv({ 'a.b': '2', 'a-b': '1' });
    expect(r.env).toEqual(['a_b=1']);
    expect(r.skipped).toEqual([{ key: 'a.b', reason: 'a_b already set from metadata key "a-b"' }]);
  });

  it('skips unusable names, NUL bytes and oversized values', () => {
    const r = metadataToEnv({ '---': 'x', nul: 'a\0b', big: 'x'.repeat(ENV_LIMITS.maxValueBytes + 1), fine: 'x'.repeat(ENV_LIMITS.maxValueBytes) });
    expect(r.env).toEqual([`fine=${'x'.repeat(ENV_LIMITS.maxValueBytes)}`]);
    expect(r.skipped.map((s) => s.key)).toEqual(['---', 'big', 'nul']);
  });

  it('bounds the number of variables', () => {
    const md = Object.fromEntries(Array.from({ length: ENV_LIMITS.maxVariables + 3 }, (_, i) => [`k${String(i).padStart(4, '0')}`, 'v']));
    const r = metadataToEnv(md);
    expect(r.env).toHaveLength(ENV_LIMITS.maxVariables);
    expect(r.skipped).toHaveLength(3);
  });
});
