/**
 * The flavor's ephemeral disk on the real dockerd: a per-instance directory
 * from the state dir, bind-mounted at /mnt, that keeps its data across
 * reboots and power cycles, counts in local_gb_used, and goes on destroy.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpawnArgs } from '../../../src/compute/payloads.js';
import { isBridgeError } from '../../../src/errors/bridge-error.js';
import { createDriverEnv, dockerExec, spawnPayload, type DriverEnv } from './driver-test-env.js';

let env: DriverEnv;
beforeAll(() => {
  env = createDriverEnv();
});
afterAll(async () => {
  await env.cleanup();
});

interface InspectedMount {
  Type: string;
  Source: string;
  Destination: string;
  RW: boolean;
}

describe('flavor with an ephemeral disk', () => {
  const args = parseSpawnArgs(spawnPayload({ flavor: { root_gb: 2, ephemeral_gb: 3 } }));
  const uuid = args.instance.uuid;
  const name = `nova-${uuid}`;
  const hostDir = (): string => path.join(env.stateDir, uuid, 'ephemeral');

  beforeAll(async () => {
    await env.driver.spawn(args);
  });

  it('gets a writable bind mount at /mnt from the instance state dir, root-owned 0755 like a fresh filesystem', async () => {
    const c = await env.docker.getContainer(name).inspect();
    const mount = (c.Mounts as InspectedMount[]).find((m) => m.Destination === '/mnt');
    expect(mount).toMatchObject({ Type: 'bind', Source: hostDir(), RW: true });
    expect(statSync(hostDir()).mode & 0o777).toBe(0o755);
    expect((await dockerExec(name, ['stat', '-c', '%u:%g %a', '/mnt'])).trim()).toBe('0:0 755');
  });

  it('keeps what the instance writes there on the host, across hard reboots and power cycles', async () => {
    await dockerExec(name, ['sh', '-c', 'mkdir -p /mnt/fs/dn && echo block-1 > /mnt/fs/dn/blk_1']);
    expect(readFileSync(path.join(hostDir(), 'fs/dn/blk_1'), 'utf8')).toBe('block-1\n');
    await env.driver.reboot({ instance: args.instance, reboot_type: 'HARD' });
    await env.driver.power_off({ instance: args.instance, timeout: 0, retry_interval: 0 });
    await env.driver.power_on({ instance: args.instance });
    expect(await dockerExec(name, ['cat', '/mnt/fs/dn/blk_1'])).toBe('block-1\n');
  });

  it('counts root_gb + ephemeral_gb in local_gb_used', async () => {
    const r = await env.driver.get_available_resource({ nodename: env.host });
    expect(r.local_gb_used).toBe(5);
  });

  it('resizes to another ephemeral size in place (local_gb_used follows), and refuses a flavor without one (nothing changes)', async () => {
    const flavor = { vcpus: 1, memory_mb: 96, root_gb: 2, ephemeral_gb: 10, swap: 0, extra_specs: {}, name: 'm1.eph10' };
    await env.driver.live_resize({ instance: args.instance, flavor });
    expect((await env.docker.getContainer(name).inspect()).HostConfig.Memory).toBe(96 * 1024 * 1024);
    // The labels keep the spawn's sizes (Docker cannot change them): the resize is recorded beside them.
    expect((await env.driver.get_available_resource({ nodename: env.host })).local_gb_used).toBe(12);
    const err = await env.driver.live_resize({ instance: args.instance, flavor: { ...flavor, memory_mb: 128, ephemeral_gb: 0, name: 'm1.noeph' } }).catch((e: unknown) => e);
    expect(isBridgeError(err, 'ERR_CONFLICT')).toBe(true);
    expect((err as Error).message).toMatch(/flavor m1.noeph has no ephemeral disk and the instance has one at \/mnt/);
    expect((await env.docker.getContainer(name).inspect()).HostConfig.Memory).toBe(96 * 1024 * 1024);
    expect((await env.driver.get_available_resource({ nodename: env.host })).local_gb_used).toBe(12);
  });

  it('a spawn retried onto the same container keeps the data', async () => {
    await env.driver.spawn(args);
    expect(await dockerExec(name, ['cat', '/mnt/fs/dn/blk_1'])).toBe('block-1\n');
  });

  it('destroy deletes the ephemeral data with the instance', async () => {
    await env.driver.destroy({ instance: args.instance });
    expect(existsSync(hostDir())).toBe(false);
    expect(existsSync(path.join(env.stateDir, uuid))).toBe(false);
  });
});

describe('flavor without an ephemeral disk', () => {
  const args = parseSpawnArgs(spawnPayload({ flavor: { ephemeral_gb: 0 } }));
  const name = `nova-${args.instance.uuid}`;

  afterAll(async () => {
    await env.driver.destroy({ instance: args.instance });
  });

  it('gets no mount at /mnt and no ephemeral directory: /mnt is the image\'s own', async () => {
    await env.driver.spawn(args);
    const c = await env.docker.getContainer(name).inspect();
    expect((c.Mounts as InspectedMount[]).map((m) => m.Destination)).toEqual(['/etc/hosts']);
    expect(existsSync(path.join(env.stateDir, args.instance.uuid, 'ephemeral'))).toBe(false);
  });

  it('refuses a resize to a flavor with an ephemeral disk: Docker cannot add the mount', async () => {
    const err = await env.driver
      .live_resize({ instance: args.instance, flavor: { vcpus: 1, memory_mb: 64, root_gb: 1, ephemeral_gb: 1, swap: 0, extra_specs: {}, name: 'm1.eph1' } })
      .catch((e: unknown) => e);
    expect(isBridgeError(err, 'ERR_CONFLICT')).toBe(true);
    expect((err as Error).message).toMatch(/has an ephemeral disk \(1 GB\) and the instance has none at \/mnt/);
  });
});
