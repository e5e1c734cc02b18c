/**
 * The compute driver against the real dockerd (no bus): spawn → running with
 * the right limits, identity, environment, labels and hosts file; every
 * lifecycle call; destroy leaves nothing behind.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInstanceArgs, parseSpawnArgs } from '../../../src/compute/payloads.js';
import { POWER_STATE } from '../../../src/compute/power-state.js';
import { LABEL_INSTANCE_NAME, LABEL_INSTANCE_UUID, LABEL_MANAGED_BY } from '../../../src/compute/translate/labels.js';
import { isBridgeError } from '../../../src/errors/bridge-error.js';
import { createDriverEnv, dockerExec, spawnPayload, type DriverEnv } from './driver-test-env.js';

let env: DriverEnv;
beforeAll(() => {
  env = createDriverEnv();
});
afterAll(async () => {
  await env.cleanup();
});

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBpOdjhTVr5JgkYq0lT3y2s0z3u9S8kqk6r7JXJt0h9s tester@example';

describe('spawn → running', () => {
  const payload = spawnPayload({
    command: 'sh -c "echo booted-$HOSTNAME; exec sleep 3600"',
    flavor: { vcpus: 1, memory_mb: 96, swap: 32 },
    instance: {
      key_data: KEY,
      metadata: { role: 'worker', 'cluster-name': 'c1', PATH: '/evil', LD_PRELOAD: '/evil.so' },
    },
    extra: {
      injected_files: [['/etc/motd', Buffer.from('hello from nova\n').toString('base64')]],
      network_info: [{ id: 'vif1', address: 'fa:16:3e:00:00:01', network: { subnets: [{ cidr: '10.0.0.0/24', dns: [{ address: '10.0.0.2' }], ips: [{ address: '10.0.0.5' }] }] } }],
    },
  });
  const args = parseSpawnArgs(payload);
  const uuid = args.instance.uuid;
  const name = `nova-${uuid}`;

  beforeAll(async () => {
    await env.driver.spawn(args);
  });

  it('runs, with flavor limits in HostConfig', async () => {
    const c = await env.docker.getContainer(name).inspect();
    expect(c.State.Status).toBe('running');
    expect(c.HostConfig.NanoCpus).toBe(1_000_000_000);
    expect(c.HostConfig.Memory).toBe(96 * 1024 * 1024);
    expect(c.HostConfig.MemorySwap).toBe((96 + 32) * 1024 * 1024);
    expect(c.HostConfig.Init).toBe(true);
    expect(c.HostConfig.Privileged).toBe(false);
    expect(c.HostConfig.CapAdd ?? []).toEqual([]);
    expect(c.HostConfig.Dns).toEqual(['10.0.0.2']);
    expect(c.HostConfig.NetworkMode).toBe('bridge');
  });

  it('has the instance hostname and dhcp_domain', async () => {
    const c = await env.docker.getContainer(name).inspect();
    expect(c.Config.Hostname).toBe(`vm-${uuid.slice(0, 8)}`);
    expect(c.Config.Domainname).toBe('novalocal');
    expect((await dockerExec(name, ['hostname'])).trim()).toBe(`vm-${uuid.slice(0, 8)}`);
  });

  it('exports metadata as environment without overriding reserved variables', async () => {
    const c = await env.docker.getContainer(name).inspect();
    expect(c.Config.Env).toContain('role=worker');
    expect(c.Config.Env).toContain('cluster_name=c1');
    expect(c.Config.Env).not.toContain('PATH=/evil');
    expect(c.Config.Env.some((e: string) => e.startsWith('LD_PRELOAD='))).toBe(false);
    expect((await dockerExec(name, ['sh', '-c', 'echo $role:$PATH'])).trim()).toBe('worker:/usr/sbin:/usr/bin:/sbin:/bin');
  });

  it('carries our labels and runs the image command line', async () => {
    const c = await env.docker.getContainer(name).inspect();
    expect(c.Config.Labels[LABEL_INSTANCE_UUID]).toBe(uuid);
    expect(c.Config.Labels[LABEL_MANAGED_BY]).toBe(env.host);
    expect(c.Config.Labels[LABEL_INSTANCE_NAME]).toBe(`instance-${uuid.slice(0, 8)}`);
    expect(c.Config.Cmd).toEqual(['sh', '-c', 'echo booted-$HOSTNAME; exec sleep 3600']);
  });

  it('bind-mounts a writable per-instance /etc/hosts from the state dir', async () => {
    const c = await env.docker.getContainer(name).inspect();
    const hostsPath = path.join(env.stateDir, uuid, 'hosts');
    const mount = (c.Mounts as Array<{ Type: string; Source: string; Destination: string; RW: boolean }>).find((m) => m.Destination === '/etc/hosts');
    expect(mount).toMatchObject({ Type: 'bind', Source: hostsPath, RW: true });
    const inside = await dockerExec(name, ['cat', '/etc/hosts']);
    expect(inside).toContain(`127.0.1.1\tvm-${uuid.slice(0, 8)}.novalocal vm-${uuid.slice(0, 8)}`);
    expect(readFileSync(hostsPath, 'utf8')).toBe(inside);
  });

  it('injected the key into root\'s authorized_keys and the injected file', async () => {
    expect((await dockerExec(name, ['cat', '/root/.ssh/authorized_keys'])).trim()).toBe(KEY);
    expect((await dockerExec(name, ['stat', '-c', '%a %u', '/root/.ssh', '/root/.ssh/authorized_keys'])).trim().split('\n')).toEqual(['700 0', '600 0']);
    expect(await dockerExec(name, ['cat', '/etc/motd'])).toBe('hello from nova\n');
    // /root itself kept its mode: only ~/.ssh was an archive entry.
    expect((await dockerExec(name, ['stat', '-c', '%a', '/root'])).trim()).toBe('700');
  });

  it('get_info RUNNING; exists; listed', async () => {
    const info = await env.driver.get_info(parseInstanceArgs({ instance: { uuid } }));
    expect(info.state).toBe(POWER_STATE.RUNNING);
    expect(info.internal_id).toMatch(/^[0-9a-f]{64}$/);
    expect(await env.driver.instance_exists(parseInstanceArgs({ instance: { uuid } }))).toBe(true);
    expect(await env.driver.list_instance_uuids()).toContain(uuid);
    expect(await env.driver.list_instances()).toContain(`instance-${uuid.slice(0, 8)}`);
  });

  it('get_console_output returns the container output', async () => {
    const out = await env.driver.get_console_output(parseInstanceArgs({ instance: { uuid } }));
    expect(out).toContain(`booted-vm-${uuid.slice(0, 8)}`);
  });

  it('hosts file edits survive a soft reboot', async () => {
    await dockerExec(name, ['sh', '-c', 'echo "10.1.2.3 master.cluster master" >> /etc/hosts']);
    const before = (await env.docker.getContainer(name).inspect()).State.StartedAt;
    await env.driver.reboot({ instance: args.instance, reboot_type: 'SOFT' });
    const after = await env.docker.getContainer(name).inspect();
    expect(after.State.Status).toBe('running');
    expect(after.State.StartedAt).not.toBe(before);
    expect(await dockerExec(name, ['cat', '/etc/hosts'])).toContain('10.1.2.3 master.cluster master');
  });

  it('hard reboot kills and starts again', async () => {
    const before = (await env.docker.getContainer(name).inspect()).State.StartedAt;
    await env.driver.reboot({ instance: args.instance, reboot_type: 'HARD' });
    const after = await env.docker.getContainer(name).inspect();
    expect(after.State.Status).toBe('running');
    expect(after.State.StartedAt).not.toBe(before);
  });

  it('power_off → SHUTDOWN, power_on → RUNNING (power_off honours a 0 timeout at once)', async () => {
    const t0 = Date.now();
    await env.driver.power_off({ instance: args.instance, timeout: 0, retry_interval: 0 });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await env.driver.get_info({ instance: args.instance })).state).toBe(POWER_STATE.SHUTDOWN);
    await env.driver.power_off({ instance: args.instance, timeout: 0, retry_interval: 0 }); // idempotent
    await env.driver.power_on({ instance: args.instance });
    expect((await env.driver.get_info({ instance: args.instance })).state).toBe(POWER_STATE.RUNNING);
    await env.driver.power_on({ instance: args.instance }); // idempotent
  });

  it('power_off with a timeout stops cleanly via SIGTERM (init forwards it)', async () => {
    const t0 = Date.now();
    await env.driver.power_off({ instance: args.instance, timeout: 30, retry_interval: 10 });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect((await env.docker.getContainer(name).inspect()).State.Status).toBe('exited');
    await env.driver.power_on({ instance: args.instance });
  });

  it('pause → PAUSED, unpause → RUNNING', async () => {
    await env.driver.pause({ instance: args.instance });
    expect((await env.driver.get_info({ instance: args.instance })).state).toBe(POWER_STATE.PAUSED);
    await env.driver.pause({ instance: args.instance }); // idempotent
    await env.driver.unpause({ instance: args.instance });
    expect((await env.driver.get_info({ instance: args.instance })).state).toBe(POWER_STATE.RUNNING);
  });

  it('suspend → SUSPENDED (paused + marker), resume → RUNNING', async () => {
    await env.driver.suspend({ instance: args.instance });
    expect((await env.docker.getContainer(name).inspect()).State.Status).toBe('paused');
    expect((await env.driver.get_info({ instance: args.instance })).state).toBe(POWER_STATE.SUSPENDED);
    await env.driver.resume({ instance: args.instance });
    expect((await env.driver.get_info({ instance: args.instance })).state).toBe(POWER_STATE.RUNNING);
  });

  it('unpause of a stopped instance is a conflict, and changes nothing', async () => {
    await env.driver.power_off({ instance: args.instance, timeout: 0, retry_interval: 0 });
    const err = await env.driver.unpause({ instance: args.instance }).catch((e: unknown) => e);
    expect(isBridgeError(err, 'ERR_CONFLICT')).toBe(true);
    expect((await env.driver.get_info({ instance: args.instance })).state).toBe(POWER_STATE.SHUTDOWN);
    await env.driver.power_on({ instance: args.instance });
  });

  it('live_resize changes CPU and memory with docker update', async () => {
    await env.driver.live_resize({ instance: args.instance, flavor: { vcpus: 2, memory_mb: 128, root_gb: 1, ephemeral_gb: 0, swap: 0, extra_specs: {}, name: 'm1.small' } });
    const c = await env.docker.getContainer(name).inspect();
    expect(c.HostConfig.NanoCpus).toBe(2_000_000_000);
    expect(c.HostConfig.Memory).toBe(128 * 1024 * 1024);
    expect(c.HostConfig.MemorySwap).toBe(128 * 1024 * 1024);
    expect(c.State.Status).toBe('running');
  });

  it('get_available_resource counts our container from HostConfig', async () => {
    const r = await env.driver.get_available_resource({ nodename: env.host });
    const info = await env.docker.info();
    expect(r.vcpus).toBe(info.NCPU);
    expect(r.memory_mb).toBe(Math.floor(info.MemTotal / 1024 / 1024));
    expect(r.vcpus_used).toBe(2);
    expect(r.memory_mb_used).toBe(128);
    expect(r.local_gb_used).toBe(1);
    expect(r.local_gb).toBeGreaterThan(0);
    expect(r.disk_available_least).toBeGreaterThanOrEqual(0);
    expect(r.disk_available_least).toBeLessThanOrEqual(r.local_gb);
    expect(r.hypervisor_type).toBe('docker');
    expect(r.hypervisor_hostname).toBe(env.host);
    const [maj, min, patch] = String(info.ServerVersion).split(/[.+-]/).map(Number);
    expect(r.hypervisor_version).toBe((maj ?? 0) * 1_000_000 + (min ?? 0) * 1000 + (patch ?? 0));
    expect(r.supported_instances).toEqual([[info.Architecture === 'x86_64' ? 'x86_64' : info.Architecture, 'docker', 'exe']]);
    expect(JSON.parse(r.cpu_info)).toMatchObject({ topology: { cores: info.NCPU } });
  });

  it('get_available_resource refuses another node name', async () => {
    const err = await env.driver.get_available_resource({ nodename: 'some-other-host' }).catch((e: unknown) => e);
    expect(isBridgeError(err, 'ERR_INVALID_ARGUMENT')).toBe(true);
  });

  it('destroy leaves nothing behind, and is idempotent', async () => {
    await env.driver.destroy({ instance: args.instance });
    const err = await env.docker.getContainer(name).inspect().catch((e: { statusCode?: number }) => e);
    expect((err as { statusCode?: number }).statusCode).toBe(404);
    expect(existsSync(path.join(env.stateDir, uuid))).toBe(false);
    await env.driver.destroy({ instance: args.instance });
    const info = await env.driver.get_info({ instance: args.instance }).catch((e: unknown) => e);
    expect(isBridgeError(info, 'ERR_INSTANCE_NOT_FOUND')).toBe(true);
    expect(await env.driver.instance_exists({ instance: args.instance })).toBe(false);
    expect(await env.driver.list_instance_uuids()).not.toContain(uuid);
  });
});
