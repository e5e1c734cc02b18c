/**
 * The compute service end to end through the bus, driven by our RpcClient:
 * the real `nova-docker-bridge serve` process, the real broker, the real
 * dockerd. Spawn → running with the flavor's limits (NanoCpus), hostname,
 * environment, labels and hosts file; every lifecycle call; Nova exception
 * classes for failures; bad payloads refused with nothing created; a
 * duplicated spawn converges on one container; destroy leaves nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POWER_STATE } from '../../../src/compute/power-state.js';
import { LABEL_FLAVOR_NAME, LABEL_INSTANCE_NAME, LABEL_INSTANCE_UUID, LABEL_MANAGED_BY } from '../../../src/compute/translate/labels.js';
import { RemoteRpcError } from '../../../src/rpc/remote-failure.js';
import { run } from '../../helpers/services.js';
import {
  cleanupIdentity,
  containersFor,
  containersOf,
  dockerAt,
  inspectOrNull,
  instanceRef,
  newIdentity,
  novaImageMeta,
  novaInstance,
  novaVif,
  ServiceProcess,
  spawnArgs,
  stateDirs,
  tsCaller,
  type ServiceIdentity,
  type TsCaller,
} from './service-env.js';

const docker = dockerAt();
let id: ServiceIdentity;
let svc: ServiceProcess;
let rpc: TsCaller;

beforeAll(async () => {
  // A grace period makes "exits at once" deterministic: with the default (0) a
  // command such as `false` may still be seen running by the one inspect after start.
  id = newIdentity('ndb-cbts', { compute: { start_grace_ms: 500 } });
  [svc, rpc] = await Promise.all([ServiceProcess.start(id), tsCaller(id, { service: () => svc })]);
});

afterAll(async () => {
  await rpc?.close();
  const exit = await svc?.stop();
  await cleanupIdentity(id, docker);
  // A clean SIGTERM shutdown is part of the contract (systemd restarts on anything else).
  expect(exit).toEqual({ code: 0, signal: null });
});

/** The failure a call raised, which must be a Nova exception class. */
async function novaFailure(p: Promise<unknown>, cls: string): Promise<RemoteRpcError> {
  const err = await p.then(
    (v) => new Error(`expected nova.exception.${cls}, the call returned ${JSON.stringify(v)}`),
    (e: unknown) => e,
  );
  if (!(err instanceof RemoteRpcError)) throw err;
  // cls may list alternatives ("A|B") where the outcome depends on deployment wiring.
  expect(cls.split('|').map((c) => `nova.exception.${c}`), err.remoteMessage).toContain(`${err.remoteModule}.${err.remoteClass}`);
  return err;
}

async function dockerExec(container: string, cmd: string[]): Promise<string> {
  return (await run('docker', ['exec', container, ...cmd], { timeoutMs: 30_000 })).stdout;
}

describe('spawn → running, every lifecycle call, destroy (our RpcClient)', () => {
  const inst = novaInstance({
    flavor: { vcpus: 1, memory_mb: 96, swap: 32, name: 'm1.cb' },
    metadata: { role: 'worker', 'cluster-name': 'c1', PATH: '/evil' },
  });
  const name = `nova-${inst.uuid}`;
  const ref = { instance: instanceRef(inst) };
  const state = async (): Promise<number> => ((await rpc.call('get_info', ref)) as { state: number }).state;

  it('spawn replies once the container runs', async () => {
    const result = await rpc.call(
      'spawn',
      spawnArgs(inst, novaImageMeta('sh -c "echo booted-$(hostname); exec sleep 3600"'), { network_info: [novaVif('10.0.0.5', ['10.0.0.2', '10.0.0.3'])] }),
    );
    expect(result).toBeNull();
    // The reply came after "running": no polling needed here.
    const c = await docker.getContainer(name).inspect();
    expect(c.State.Status).toBe('running');
  });

  it('has the flavor limits in HostConfig (NanoCpus, Memory, MemorySwap)', async () => {
    const c = await docker.getContainer(name).inspect();
    expect(c.HostConfig.NanoCpus).toBe(1_000_000_000);
    expect(c.HostConfig.CpuQuota ?? 0).toBe(0);
    expect(c.HostConfig.Memory).toBe(96 * 1024 * 1024);
    expect(c.HostConfig.MemorySwap).toBe((96 + 32) * 1024 * 1024);
    expect(c.HostConfig.Init).toBe(true);
    expect(c.HostConfig.Privileged).toBe(false);
    expect(c.HostConfig.Dns).toEqual(['10.0.0.2', '10.0.0.3']);
  });

  it('has the instance hostname, metadata as environment (PATH not overridden) and our labels', async () => {
    const c = await docker.getContainer(name).inspect();
    expect(c.Config.Hostname).toBe(inst.hostname);
    expect(c.Config.Domainname).toBe('novalocal');
    expect(c.Config.Env).toEqual(expect.arrayContaining(['role=worker', 'cluster_name=c1']));
    expect(c.Config.Env).not.toContain('PATH=/evil');
    expect(c.Config.Labels).toMatchObject({
      [LABEL_INSTANCE_UUID]: inst.uuid,
      [LABEL_MANAGED_BY]: id.host,
      [LABEL_INSTANCE_NAME]: instanceRef(inst).name,
      [LABEL_FLAVOR_NAME]: 'm1.cb',
    });
    expect((await dockerExec(name, ['hostname'])).trim()).toBe(inst.hostname);
  });

  it('bind-mounts its own writable /etc/hosts from the state dir', async () => {
    const c = await docker.getContainer(name).inspect();
    const hostsPath = path.join(id.stateDir, inst.uuid, 'hosts');
    const mount = c.Mounts.find((m) => m.Destination === '/etc/hosts');
    expect(mount).toMatchObject({ Type: 'bind', Source: hostsPath, RW: true });
    const inside = await dockerExec(name, ['cat', '/etc/hosts']);
    expect(inside).toContain(`127.0.1.1\t${inst.hostname}.novalocal ${inst.hostname}`);
    expect(readFileSync(hostsPath, 'utf8')).toBe(inside);
  });

  it('get_info RUNNING with the container ID; instance_exists; list_instances; list_instance_uuids', async () => {
    const c = await docker.getContainer(name).inspect();
    expect(await rpc.call('get_info', ref)).toEqual({ state: POWER_STATE.RUNNING, internal_id: c.Id });
    expect(await rpc.call('instance_exists', ref)).toBe(true);
    expect(await rpc.call('list_instances')).toEqual([instanceRef(inst).name]);
    expect(await rpc.call('list_instance_uuids')).toEqual([inst.uuid]);
  });

  it('get_console_output returns what the command printed', async () => {
    expect(await rpc.call('get_console_output', ref)).toContain(`booted-${inst.hostname}`);
  });

  it('reboot SOFT restarts it and keeps /etc/hosts edits; HARD kills and starts', async () => {
    await dockerExec(name, ['sh', '-c', 'echo "10.1.2.3 master.cluster master" >> /etc/hosts']);
    const t0 = (await docker.getContainer(name).inspect()).State.StartedAt;
    await rpc.call('reboot', { ...ref, reboot_type: 'SOFT' });
    const soft = await docker.getContainer(name).inspect();
    expect(soft.State.Status).toBe('running');
    expect(soft.State.StartedAt).not.toBe(t0);
    expect(await dockerExec(name, ['cat', '/etc/hosts'])).toContain('10.1.2.3 master.cluster master');
    await rpc.call('reboot', { ...ref, reboot_type: 'HARD' });
    const hard = await docker.getContainer(name).inspect();
    expect(hard.State.Status).toBe('running');
    expect(hard.State.StartedAt).not.toBe(soft.State.StartedAt);
    expect(await state()).toBe(POWER_STATE.RUNNING);
  });

  it('power_off honours its timeout: 0 kills at once, 30 stops cleanly via SIGTERM; power_on', async () => {
    let t = Date.now();
    await rpc.call('power_off', { ...ref, timeout: 0, retry_interval: 0 });
    expect(Date.now() - t).toBeLessThan(5000);
    expect(await state()).toBe(POWER_STATE.SHUTDOWN);
    await rpc.call('power_on', ref);
    expect(await state()).toBe(POWER_STATE.RUNNING);
    t = Date.now();
    await rpc.call('power_off', { ...ref, timeout: 30, retry_interval: 10 });
    // Docker's init forwards SIGTERM to sleep, which exits: no 30 s wait.
    expect(Date.now() - t).toBeLessThan(10_000);
    const c = await docker.getContainer(name).inspect();
    expect(c.State.Status).toBe('exited');
    expect(c.State.ExitCode).not.toBe(137);
    await rpc.call('power_on', ref);
    expect(await state()).toBe(POWER_STATE.RUNNING);
  });

  it('pause → PAUSED, unpause → RUNNING; suspend → SUSPENDED, resume → RUNNING', async () => {
    await rpc.call('pause', ref);
    expect(await state()).toBe(POWER_STATE.PAUSED);
    expect((await docker.getContainer(name).inspect()).State.Paused).toBe(true);
    await rpc.call('unpause', ref);
    expect(await state()).toBe(POWER_STATE.RUNNING);
    await rpc.call('suspend', ref);
    expect(await state()).toBe(POWER_STATE.SUSPENDED);
    await rpc.call('resume', ref);
    expect(await state()).toBe(POWER_STATE.RUNNING);
  });

  it('unpause of a stopped instance is refused (InstanceInvalidState) and changes nothing', async () => {
    await rpc.call('power_off', { ...ref, timeout: 0 });
    const err = await novaFailure(rpc.call('unpause', ref), 'InstanceInvalidState');
    expect(err.remoteKwargs).toMatchObject({ code: 409, error_code: 'ERR_CONFLICT', instance_uuid: inst.uuid });
    expect(await state()).toBe(POWER_STATE.SHUTDOWN);
    await rpc.call('power_on', ref);
    expect(await state()).toBe(POWER_STATE.RUNNING);
  });

  it('live resize changes CPU and memory with docker update, without a restart', async () => {
    const before = (await docker.getContainer(name).inspect()).State.StartedAt;
    await rpc.call('live_resize', { ...ref, flavor: { ...inst.flavor, vcpus: 2, memory_mb: 128, swap: 0, name: 'm1.cb2' } });
    const c = await docker.getContainer(name).inspect();
    expect(c.HostConfig.NanoCpus).toBe(2_000_000_000);
    expect(c.HostConfig.Memory).toBe(128 * 1024 * 1024);
    expect(c.HostConfig.MemorySwap).toBe(128 * 1024 * 1024);
    expect(c.State.StartedAt).toBe(before);
  });

  it('get_available_resource: the host\'s CPUs and memory, our usage from HostConfig', async () => {
    const info = await docker.info();
    const r = (await rpc.call('get_available_resource', { nodename: id.host })) as Record<string, unknown>;
    expect(r).toMatchObject({
      vcpus: info.NCPU,
      memory_mb: Math.floor(info.MemTotal / 1024 / 1024),
      vcpus_used: 2,
      memory_mb_used: 128,
      local_gb_used: 1,
      hypervisor_type: 'docker',
      hypervisor_hostname: id.host,
    });
    expect(r.local_gb).toBeGreaterThan(0);
    expect(r.hypervisor_version).toBeGreaterThan(20_000_000);
    expect(JSON.parse(r.cpu_info as string)).toMatchObject({ topology: { cores: info.NCPU } });
    expect(typeof (await rpc.call('get_host_uptime'))).toBe('string');
  });

  it('destroy leaves nothing (no container, no state dir) and is idempotent', async () => {
    await rpc.call('destroy', ref);
    expect(await inspectOrNull(docker, name)).toBeNull();
    expect(existsSync(path.join(id.stateDir, inst.uuid))).toBe(false);
    await rpc.call('destroy', ref);
    expect(await rpc.call('instance_exists', ref)).toBe(false);
    const err = await novaFailure(rpc.call('get_info', ref), 'InstanceNotFound');
    expect(err.remoteKwargs).toMatchObject({ code: 404, instance_uuid: inst.uuid });
    expect(await rpc.call('list_instance_uuids')).toEqual([]);
  });
});

describe('bad payloads are refused with a Nova exception, nothing created', () => {
  const cases: Array<[string, (a: Record<string, unknown>) => void, string, RegExp]> = [
    ['flavor missing', (a) => delete (a.instance as Record<string, unknown>).flavor, 'InvalidInput', /instance\.flavor is required/],
    ['vcpus as text', (a) => (((a.instance as Record<string, unknown>).flavor as Record<string, unknown>).vcpus = '2'), 'InvalidInput', /instance\.flavor\.vcpus must be an integer/],
    ['hostname with an underscore', (a) => ((a.instance as Record<string, unknown>).hostname = 'bad_host'), 'InvalidInput', /instance\.hostname must be an RFC 1123 host name/],
    ['injected file escaping the root', (a) => (a.injected_files = [['/etc/../../x', 'eA==']]), 'InvalidInput', /injected_files\[0\]\[0\] must be a normalized path/],
    ['DNS server not an IP', (a) => (a.network_info = [novaVif('10.0.0.5', ['dns.example'])]), 'InvalidInput', /network_info\[0\]\.network\.subnets\[0\]\.dns\[0\]\.address must be an IP address/],
    // Not on the Engine, and this service has no Glance to download it from ([glance] unset).
    ['image neither local nor downloadable', (a) => Object.assign(a.image_meta as Record<string, unknown>, { name: 'no-such/image:nowhere' }), 'ImageNotFound|InstanceDeployFailure', /not present on the Docker Engine|cannot find Glance/],
    ['container_format not docker', (a) => Object.assign(a.image_meta as Record<string, unknown>, { container_format: 'bare' }), 'ImageUnacceptable', /container_format "bare"/],
    ['command that exits at once', (a) => Object.assign(((a.image_meta as Record<string, unknown>).properties as Record<string, unknown>), { os_command_line: 'false' }), 'InstanceDeployFailure', /exited at once with code 1/],
  ];

  it.each(cases)('%s', async (_name, mutate, cls, message) => {
    const inst = novaInstance();
    const args = spawnArgs(inst, novaImageMeta());
    mutate(args);
    const err = await novaFailure(rpc.call('spawn', args), cls);
    expect(err.remoteMessage).toMatch(message);
    expect(await containersFor(docker, id.host, inst.uuid)).toEqual([]);
    expect(stateDirs(id)).not.toContain(inst.uuid);
  });

  it('a call without arguments at all, and an unknown method, get clear errors', async () => {
    const err = await novaFailure(rpc.call('get_info', {}), 'InvalidInput');
    expect(err.remoteMessage).toMatch(/instance must be an object/);
    const nsm = await rpc.call('no_such_method').catch((e: unknown) => e);
    expect(nsm).toBeInstanceOf(RemoteRpcError);
    expect((nsm as RemoteRpcError).remoteClass).toBe('NoSuchMethod');
  });
});

describe('a duplicated spawn (same UUID twice at once) converges on one container', () => {
  it('both calls succeed; one container runs', async () => {
    const inst = novaInstance();
    const args = spawnArgs(inst, novaImageMeta());
    const results = await Promise.all([rpc.call('spawn', args), rpc.call('spawn', args)]);
    expect(results).toEqual([null, null]);
    const cs = await containersFor(docker, id.host, inst.uuid);
    expect(cs.map((c) => c.State)).toEqual(['running']);
    expect(svc.logged('spawn converges on the existing container').length).toBeGreaterThanOrEqual(1);
    await rpc.call('destroy', { instance: instanceRef(inst) });
    expect(await containersOf(docker, id.host)).toEqual([]);
    expect(stateDirs(id)).toEqual([]);
  });
});
