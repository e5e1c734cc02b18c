import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InstanceStateDirs } from '../../../src/compute/instance-state-dir.js';

const UUID = '0b6c2d5e-1111-4e2b-8c55-3a2d1c0e9f00';
let root: string;
let dirs: InstanceStateDirs;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'ndb-state-'));
  dirs = new InstanceStateDirs(root);
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('pending user data', () => {
  it('is handed out once', async () => {
    await dirs.prepare(UUID, null);
    await dirs.setPendingUserData(UUID, ['/var/lib/nova-docker-bridge/user-data/part-001', '/var/lib/nova-docker-bridge/user-data/part-002']);
    expect(statSync(path.join(root, UUID, 'user-data-pending.json')).mode & 0o777).toBe(0o600);
    expect(await dirs.takePendingUserData(UUID)).toEqual(['/var/lib/nova-docker-bridge/user-data/part-001', '/var/lib/nova-docker-bridge/user-data/part-002']);
    expect(await dirs.takePendingUserData(UUID)).toBeNull();
  });

  it('is null for an instance that has none, or no directory at all', async () => {
    expect(await dirs.takePendingUserData(UUID)).toBeNull();
    await dirs.prepare(UUID, null);
    expect(await dirs.takePendingUserData(UUID)).toBeNull();
  });

  it('a torn or foreign record yields no scripts (and is consumed), never a relative path', async () => {
    await dirs.prepare(UUID, null);
    const file = path.join(root, UUID, 'user-data-pending.json');
    writeFileSync(file, '{"scripts": ["/a", ');
    expect(await dirs.takePendingUserData(UUID)).toEqual([]);
    writeFileSync(file, JSON.stringify({ scripts: ['/a', 'relative', 7, '/b'] }));
    expect(await dirs.takePendingUserData(UUID)).toEqual(['/a', '/b']);
    writeFileSync(file, JSON.stringify({ other: true }));
    expect(await dirs.takePendingUserData(UUID)).toEqual([]);
  });
});

describe('ephemeral directory', () => {
  it('is made 0755 on request, and a second prepare keeps its contents and the hosts file', async () => {
    await dirs.prepare(UUID, 'first\n', { ephemeral: true });
    expect(statSync(dirs.ephemeralDir(UUID)).mode & 0o777).toBe(0o755);
    writeFileSync(path.join(dirs.ephemeralDir(UUID), 'blk'), 'data');
    await dirs.prepare(UUID, 'second\n', { ephemeral: true });
    expect(readFileSync(path.join(dirs.ephemeralDir(UUID), 'blk'), 'utf8')).toBe('data');
    expect(readFileSync(dirs.hostsFile(UUID), 'utf8')).toBe('first\n');
  });

  it('is not made without the request, and goes with the instance', async () => {
    await dirs.prepare(UUID, null);
    expect(() => statSync(dirs.ephemeralDir(UUID))).toThrow(/ENOENT/);
    await dirs.prepare(UUID, null, { ephemeral: true });
    await dirs.remove(UUID);
    expect(() => statSync(path.join(root, UUID))).toThrow(/ENOENT/);
  });
});

describe('resized disk record', () => {
  it('keeps the last live resize\'s sizes; none before a resize', async () => {
    await dirs.prepare(UUID, null);
    expect(await dirs.readResizedDisk(UUID)).toBeNull();
    await dirs.setResizedDisk(UUID, { rootGb: 2, ephemeralGb: 10 });
    await dirs.setResizedDisk(UUID, { rootGb: 3, ephemeralGb: 0 });
    expect(await dirs.readResizedDisk(UUID)).toEqual({ rootGb: 3, ephemeralGb: 0 });
  });

  it.each([
    ['torn', '{"rootGb": 2,'],
    ['negative', JSON.stringify({ rootGb: -1, ephemeralGb: 0 })],
    ['fractional', JSON.stringify({ rootGb: 1.5, ephemeralGb: 0 })],
    ['a missing field', JSON.stringify({ rootGb: 1 })],
    ['strings', JSON.stringify({ rootGb: '1', ephemeralGb: '0' })],
  ])('a %s record counts as none (the labels count instead)', async (_what, text) => {
    await dirs.prepare(UUID, null);
    writeFileSync(path.join(root, UUID, 'resized-disk.json'), text);
    expect(await dirs.readResizedDisk(UUID)).toBeNull();
  });
});
