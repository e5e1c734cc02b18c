import { describe, expect, it } from 'vitest';
import { ephemeralResizeRefusal, ephemeralStorage, parseEphemeralMountPoint } from '../../../../src/compute/translate/ephemeral-storage.js';

describe('parseEphemeralMountPoint', () => {
  it.each([
    ['/mnt', '/mnt'],
    ['  /mnt  ', '/mnt'],
    ['/data/ephemeral0', '/data/ephemeral0'],
    ['/var/lib/hadoop', '/var/lib/hadoop'],
    ['/home/data', '/home/data'],
    ['/tmp', '/tmp'],
    ['', null],
    ['   ', null],
  ])('%j → %j', (raw, want) => {
    expect(parseEphemeralMountPoint(raw)).toBe(want);
  });

  it.each([
    ['mnt', /absolute path/],
    ['/mnt/', /normalized/],
    ['/mnt/../etc', /normalized/],
    ['/mnt/./x', /normalized/],
    ['//mnt', /normalized/],
    ['/', /not be \/ itself/],
    ['/etc', /\/etc or below it/],
    ['/etc/hosts', /\/etc or below it/],
    ['/usr/local/data', /\/usr or below it/],
    ['/proc', /\/proc or below it/],
    ['/dev/shm', /\/dev or below it/],
    ['/var/lib/nova-docker-bridge/user-data', /\/var\/lib\/nova-docker-bridge or below it/],
    ['/var/lib/heat-cfntools', /heat-cfntools or below it/],
    ['/root', /\/root itself/],
    ['/home', /\/home itself/],
    ['/var', /\/var itself/],
  ])('refuses %j', (raw, message) => {
    expect(() => parseEphemeralMountPoint(raw)).toThrow(message);
  });
});

describe('ephemeralStorage', () => {
  it('mounts the instance directory writable when the flavor has an ephemeral disk', () => {
    expect(ephemeralStorage(20, '/mnt', '/state/u/ephemeral')).toEqual({ kind: 'mount', mount: { source: '/state/u/ephemeral', target: '/mnt', readOnly: false }, sizeGb: 20 });
  });
  it('mounts nothing without an ephemeral disk, silently', () => {
    expect(ephemeralStorage(0, '/mnt', '/state/u/ephemeral')).toEqual({ kind: 'none', note: null });
  });
  it('says why an ephemeral disk is not mounted when the mount point is off', () => {
    const plan = ephemeralStorage(5, null, '/state/u/ephemeral');
    expect(plan.kind).toBe('none');
    expect(plan.kind === 'none' && plan.note).toMatch(/ephemeral disk \(5 GB\) not mounted: \[compute\] ephemeral_mount_point is empty/);
  });
});

describe('ephemeralResizeRefusal', () => {
  it.each([
    // [new ephemeral_gb, mount point, mounted now, refusal]
    [20, '/mnt', true, null],
    [0, '/mnt', false, null],
    [5, '/mnt', false, /flavor m1.big has an ephemeral disk \(5 GB\) and the instance has none at \/mnt: Docker cannot add a mount/],
    [0, '/mnt', true, /flavor m1.big has no ephemeral disk and the instance has one at \/mnt/],
    [5, null, false, null],
    [0, null, true, null],
  ] as const)('ephemeral_gb %d at %j, mounted %s', (gb, mountPoint, mounted, want) => {
    const got = ephemeralResizeRefusal('m1.big', gb, mountPoint, mounted);
    if (want === null) expect(got).toBeNull();
    else expect(got).toMatch(want);
  });
  it('names the flavor generically when it has no name', () => {
    expect(ephemeralResizeRefusal(null, 1, '/mnt', false)).toMatch(/^the new flavor has/);
  });
});
