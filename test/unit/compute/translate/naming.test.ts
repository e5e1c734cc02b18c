import { describe, expect, it } from 'vitest';
import { containerName } from '../../../../src/compute/translate/container-name.js';
import { novaArchitecture } from '../../../../src/compute/translate/host-arch.js';
import { convertVersionToInt } from '../../../../src/compute/translate/hypervisor-version.js';
import { imageCandidates, type ImageCandidate } from '../../../../src/compute/translate/image-reference.js';
import {
  LABEL_FLAVOR_NAME,
  LABEL_FLAVOR_EPHEMERAL_GB,
  LABEL_FLAVOR_ROOT_GB,
  LABEL_IMAGE_ID,
  LABEL_INSTANCE_NAME,
  LABEL_SNAPSHOT_IMAGE,
  LABEL_INSTANCE_UUID,
  LABEL_MANAGED_BY,
  instanceLabels,
  isManaged,
  managedFilter,
} from '../../../../src/compute/translate/labels.js';

describe('containerName', () => {
  it('derives the name from the UUID, lower-cased', () => {
    expect(containerName('0B6C2D5E-1111-4E2B-8C55-3A2D1C0E9F00')).toBe('nova-0b6c2d5e-1111-4e2b-8c55-3a2d1c0e9f00');
  });
});

describe('labels', () => {
  it('carries the instance UUID and the managing host', () => {
    expect(instanceLabels({ host: 'cmp1', uuid: 'u', instanceName: 'instance-0000000e', flavorName: 'm1.small', rootGb: 10, ephemeralGb: 20, imageId: 'img' })).toEqual({
      [LABEL_MANAGED_BY]: 'cmp1',
      [LABEL_INSTANCE_UUID]: 'u',
      [LABEL_INSTANCE_NAME]: 'instance-0000000e',
      [LABEL_FLAVOR_NAME]: 'm1.small',
      [LABEL_FLAVOR_ROOT_GB]: '10',
      [LABEL_FLAVOR_EPHEMERAL_GB]: '20',
      [LABEL_IMAGE_ID]: 'img',
      [LABEL_SNAPSHOT_IMAGE]: '',
    });
    expect(LABEL_INSTANCE_UUID).toBe('org.openstack.nova.instance-uuid');
  });
  it('sets unknown optional facts empty, so a snapshot image cannot lend another instance\'s values', () => {
    expect(instanceLabels({ host: 'h', uuid: 'u', instanceName: null, flavorName: null, rootGb: 0, ephemeralGb: 0, imageId: null })).toEqual({
      [LABEL_MANAGED_BY]: 'h',
      [LABEL_INSTANCE_UUID]: 'u',
      [LABEL_FLAVOR_ROOT_GB]: '0',
      [LABEL_FLAVOR_EPHEMERAL_GB]: '0',
      [LABEL_INSTANCE_NAME]: '',
      [LABEL_FLAVOR_NAME]: '',
      [LABEL_IMAGE_ID]: '',
      [LABEL_SNAPSHOT_IMAGE]: '',
    });
  });
  it.each([
    [{ [LABEL_MANAGED_BY]: 'h', [LABEL_INSTANCE_UUID]: 'u' }, 'h', 'u', true],
    [{ [LABEL_MANAGED_BY]: 'h', [LABEL_INSTANCE_UUID]: 'u' }, 'h', undefined, true],
    [{ [LABEL_MANAGED_BY]: 'other', [LABEL_INSTANCE_UUID]: 'u' }, 'h', 'u', false],
    [{ [LABEL_MANAGED_BY]: 'h', [LABEL_INSTANCE_UUID]: 'v' }, 'h', 'u', false],
    [{ [LABEL_INSTANCE_UUID]: 'u' }, 'h', 'u', false],
    [{}, 'h', undefined, false],
  ])('isManaged(%j, %s, %s) = %s', (labels, host, uuid, want) => {
    expect(isManaged(labels, host, uuid)).toBe(want);
  });
  it('filter selects by host', () => {
    expect(managedFilter('h')).toEqual({ [LABEL_MANAGED_BY]: 'h' });
  });
});

describe('convertVersionToInt (oslo versionutils semantics)', () => {
  it.each([
    ['20.10.24+dfsg1', 20010024],
    ['20.10.24', 20010024],
    ['24.0.7-ce', 24000007],
    ['v25.0.0', 25000000],
    ['1.13', 1013000],
    ['28', 28000000],
    ['garbage', 0],
  ])('%s → %i', (v, n) => {
    expect(convertVersionToInt(v)).toBe(n);
  });
});

describe('novaArchitecture', () => {
  it.each([
    ['x86_64', 'x86_64'],
    ['amd64', 'x86_64'],
    ['aarch64', 'aarch64'],
    ['arm64', 'aarch64'],
    ['armv7l', 'armv7l'],
    ['ppc64le', 'ppc64le'],
    ['s390x', 's390x'],
    ['i386', 'i686'],
    ['386', 'i686'],
    ['riscv64', 'riscv64'],
    ['X86_64', 'x86_64'],
    ['vax', null],
  ])('%s → %s', (a, want) => {
    expect(novaArchitecture(a)).toBe(want);
  });
});

describe('imageCandidates', () => {
  const ID = '0b6c2d5e-1111-4e2b-8c55-3a2d1c0e9f00';
  const DIGEST = `sha256:${'a'.repeat(64)}`;
  const table: Array<[string, { id: string | null; name: string | null; properties: Record<string, unknown> }, Record<string, string | null>, ImageCandidate[]]> = [
    [
      'id tag, then name',
      { id: ID, name: 'busybox', properties: {} },
      {},
      [
        { reference: `glance-image:${ID}`, source: 'glance-id-tag' },
        { reference: 'busybox', source: 'image-name' },
      ],
    ],
    [
      'recorded image id from system_metadata',
      { id: ID, name: 'research/multi:1', properties: {} },
      { image_docker_image_id: DIGEST },
      [
        { reference: `glance-image:${ID}`, source: 'glance-id-tag' },
        { reference: DIGEST, source: 'recorded-image-id' },
        { reference: 'research/multi:1', source: 'image-name' },
      ],
    ],
    ['recorded id from properties wins', { id: null, name: null, properties: { docker_image_id: DIGEST } }, { image_docker_image_id: `sha256:${'b'.repeat(64)}` }, [{ reference: DIGEST, source: 'recorded-image-id' }]],
    ['malformed digest ignored', { id: null, name: null, properties: { docker_image_id: 'sha256:xyz' } }, {}, []],
    ['a name that is not a Docker reference is not tried', { id: null, name: 'My Image (v2)', properties: {} }, {}, []],
    ['path tricks are not tried', { id: null, name: '../../containers/json', properties: {} }, {}, []],
    ['registry with port and digest', { id: null, name: `reg.example:5000/app:1.0@sha256:${'c'.repeat(64)}`, properties: {} }, {}, [{ reference: `reg.example:5000/app:1.0@sha256:${'c'.repeat(64)}`, source: 'image-name' }]],
  ];
  it.each(table)('%s', (_name, image, sysmeta, want) => {
    expect(imageCandidates(image, sysmeta, 'glance-image')).toEqual(want);
  });
});
