import { describe, expect, it } from 'vitest';
import { parseCapability } from '../../../../src/compute/translate/capabilities.js';
import { flavorPrivileges } from '../../../../src/compute/translate/flavor-extra-specs.js';
import { containerPrivileges, type OperatorPrivilegeConfig, type Privileges } from '../../../../src/compute/translate/privileges.js';
import { parseUlimit } from '../../../../src/compute/translate/ulimits.js';
import type { Ulimit } from '../../../../src/docker/docker-engine.js';

describe('parseCapability', () => {
  it.each([
    ['SYS_ADMIN', 'SYS_ADMIN'],
    ['cap_sys_admin', 'SYS_ADMIN'],
    [' CAP_NET_ADMIN ', 'NET_ADMIN'],
    ['sys_resource', 'SYS_RESOURCE'],
  ])('%s → %s', (raw, want) => {
    expect(parseCapability(raw)).toBe(want);
  });
  it.each(['ALL', 'SYS_ADMINN', '', 'SYS ADMIN'])('refuses %j', (raw) => {
    expect(() => parseCapability(raw)).toThrow(/unknown Linux capability/);
  });
});

describe('containerPrivileges: only operator config and whitelisted flavor extra specs', () => {
  const none: OperatorPrivilegeConfig = { capAdd: [], privileged: false, allowedFlavorExtraSpecs: [] };
  const table: Array<[string, OperatorPrivilegeConfig, Record<string, string>, Privileges]> = [
    ['nothing configured', none, {}, { capAdd: [], privileged: false }],
    ['config cap_add', { ...none, capAdd: ['SYS_ADMIN'] }, {}, { capAdd: ['SYS_ADMIN'], privileged: false }],
    ['config privileged', { ...none, privileged: true }, {}, { capAdd: [], privileged: true }],
    ['flavor spec not whitelisted: ignored', none, { 'docker:cap_add': 'SYS_ADMIN', 'docker:privileged': 'true' }, { capAdd: [], privileged: false }],
    [
      'flavor cap_add whitelisted, privileged not',
      { ...none, allowedFlavorExtraSpecs: ['docker:cap_add'] },
      { 'docker:cap_add': 'sys_resource, CAP_SYS_ADMIN', 'docker:privileged': 'true' },
      { capAdd: ['SYS_ADMIN', 'SYS_RESOURCE'], privileged: false },
    ],
    ['flavor privileged whitelisted', { ...none, allowedFlavorExtraSpecs: ['docker:privileged'] }, { 'docker:privileged': 'True' }, { capAdd: [], privileged: true }],
    ['flavor privileged false', { ...none, allowedFlavorExtraSpecs: ['docker:privileged'] }, { 'docker:privileged': 'false' }, { capAdd: [], privileged: false }],
    [
      'config and flavor merged, deduplicated, sorted',
      { ...none, capAdd: ['SYS_ADMIN'], allowedFlavorExtraSpecs: ['docker:cap_add'] },
      { 'docker:cap_add': 'SYS_ADMIN,NET_ADMIN' },
      { capAdd: ['NET_ADMIN', 'SYS_ADMIN'], privileged: false },
    ],
    ['unrelated extra specs ignored', { ...none, allowedFlavorExtraSpecs: ['docker:cap_add'] }, { 'hw:cpu_policy': 'dedicated', cap_add: 'SYS_ADMIN' }, { capAdd: [], privileged: false }],
  ];
  it.each(table)('%s', (_name, config, extraSpecs, want) => {
    expect(containerPrivileges(config, extraSpecs)).toEqual(want);
  });

  it('a bad whitelisted value is refused with the field named', () => {
    expect(() => flavorPrivileges({ 'docker:cap_add': 'NOT_A_CAP' }, ['docker:cap_add'])).toThrow(/instance\.flavor\.extra_specs\["docker:cap_add"\] must be a comma-separated list/);
    expect(() => flavorPrivileges({ 'docker:privileged': 'maybe' }, ['docker:privileged'])).toThrow(/must be true or false, got "maybe"/);
  });

  it('tenant-controlled sources are not parameters at all', () => {
    // containerPrivileges takes (operator config, flavor extra specs) and nothing else:
    // image properties and instance metadata cannot reach it. Checked by arity here and
    // end to end in test/integration/docker (image/metadata trying to grant privileges).
    expect(containerPrivileges.length).toBe(2);
  });
});

describe('parseUlimit', () => {
  const table: Array<[string, Ulimit]> = [
    ['nofile=65536', { name: 'nofile', soft: 65536, hard: 65536 }],
    ['nofile=1024:65536', { name: 'nofile', soft: 1024, hard: 65536 }],
    ['memlock=unlimited', { name: 'memlock', soft: -1, hard: -1 }],
    ['memlock=-1:-1', { name: 'memlock', soft: -1, hard: -1 }],
    ['nproc=100:unlimited', { name: 'nproc', soft: 100, hard: -1 }],
  ];
  it.each(table)('%s', (spec, want) => {
    expect(parseUlimit(spec)).toEqual(want);
  });
  it.each([
    ['nofile', /expected name=soft\[:hard\]/],
    ['files=10', /unknown ulimit "files"/],
    ['nofile=abc', /non-negative integer/],
    ['nofile=200:100', /soft limit must not exceed the hard limit/],
    ['nofile=unlimited:100', /soft limit must not exceed/],
  ])('refuses %s', (spec, message) => {
    expect(() => parseUlimit(spec)).toThrow(message);
  });
});
