/**
 * The compute service end to end through the bus, driven from Python as
 * nova-compute drives it: py_nova_peer.py builds real Nova objects, projects
 * them with the shim's projection module and calls with oslo.messaging
 * (allowed_remote_exmods = nova.exception), so failures arrive as the
 * nova.exception classes Nova catches. The service runs with
 * cpu_limit_mode = quota (the TypeScript-client file covers nano_cpus).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POWER_STATE } from '../../../src/compute/power-state.js';
import { LABEL_INSTANCE_NAME, LABEL_INSTANCE_UUID, LABEL_MANAGED_BY } from '../../../src/compute/translate/labels.js';
import { run } from '../../helpers/services.js';
import {
  cleanupIdentity,
  containersFor,
  containersOf,
  dockerAt,
  inspectOrNull,
  instanceRef,
  newIdentity,
  NovaPeer,
  type NovaPeerCall,
  type NovaPeerError,
  novaImageMeta,
  novaInstance,
  novaVif,
  ServiceProcess,
  stateDirs,
  type ServiceIdentity,
} from './service-env.js';

const docker = dockerAt();
let id: ServiceIdentity;
let svc: ServiceProcess;
let py: NovaPeer;

beforeAll(async () => {
  id = newIdentity('ndb-cbpy', { compute: { cpu_limit_mode: 'quota', cpu_period_us: 100000 } });
  // Importing Nova takes seconds: overlap it with the service's start-up.
  [svc, py] = await Promise.all([ServiceProcess.start(id), NovaPeer.start(id, () => svc)]);
});

afterAll(async () => {
  await py?.close();
  const exit = await svc?.stop();
  await cleanupIdentity(id, docker);
  expect(exit).toEqual({ code: 0, signal: null });
});

/** The exception must be the nova.exception class itself (re-raised by oslo, not a RemoteError). */
function expectNova(err: NovaPeerError, cls: string): void {
  expect(err.mro, `${err.module}.${err.class}: ${err.str.split('\n')[0]}`).toContain(`nova.exception.${cls}`);
  expect(err.mro).toContain('nova.exception.NovaException');
  // oslo re-raises a subclass made on the fly ("<Class>_Remote" in "nova.exception_Remote"), not a RemoteError.
  expect(err.class).toBe(`${cls}_Remote`);
}

async function dockerExec(container: string, cmd: string[]): Promise<string> {
  return (await run('docker', ['exec', container, ...cmd], { timeoutMs: 30_000 })).stdout;
}

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBpOdjhTVr5JgkYq0lT3y2s0z3u9S8kqk6r7JXJt0h9s nova@example';

describe('spawn → running, every lifecycle call, destroy (Python oslo.messaging with Nova objects)', () => {
  const inst = novaInstance({
    flavor: { vcpus: 2, memory_mb: 80, swap: 0, name: 'm1.py' },
    metadata: { role: 'master', 'hadoop-version': '3.1', LD_PRELOAD: '/evil.so' },
    key_data: KEY,
    key_name: 'k1',
  });
  const name = `nova-${inst.uuid}`;
  const on = (method: string, extra: Omit<NovaPeerCall, 'method' | 'instance'> = {}): NovaPeerCall => ({ method, instance: inst, ...extra });
  const state = async (): Promise<number> => ((await py.ok(on('get_info'))) as { state: number }).state;

  it('spawn (Nova objects through the shim projection) replies once the container runs', async () => {
    const result = await py.ok(
      on('spawn', {
        image_meta: novaImageMeta('sh -c "echo up-$(hostname); exec sleep 3600"'),
        network_info: [novaVif('10.0.0.7', ['10.0.0.2'])],
        injected_files: [['/etc/motd', 'hello from nova\n']],
        admin_password: 'secret',
        call_monitor_timeout: 30,
      }),
    );
    expect(result).toBeNull();
    expect((await docker.getContainer(name).inspect()).State.Status).toBe('running');
  });

  it('has the CPU quota and memory of the flavor, hostname, environment, labels, hosts file, key and file', async () => {
    const c = await docker.getContainer(name).inspect();
    expect(c.HostConfig.CpuQuota).toBe(200_000);
    expect(c.HostConfig.CpuPeriod).toBe(100_000);
    expect(c.HostConfig.NanoCpus ?? 0).toBe(0);
    expect(c.HostConfig.Memory).toBe(80 * 1024 * 1024);
    expect(c.HostConfig.Dns).toEqual(['10.0.0.2']);
    expect(c.Config.Hostname).toBe(inst.hostname);
    expect(c.Config.Env).toEqual(expect.arrayContaining(['role=master', 'hadoop_version=3.1']));
    expect(c.Config.Env.some((e) => e.startsWith('LD_PRELOAD='))).toBe(false);
    expect(c.Config.Labels).toMatchObject({ [LABEL_INSTANCE_UUID]: inst.uuid, [LABEL_MANAGED_BY]: id.host, [LABEL_INSTANCE_NAME]: instanceRef(inst).name });
    expect(c.Mounts.find((m) => m.Destination === '/etc/hosts')).toMatchObject({ Type: 'bind', Source: path.join(id.stateDir, inst.uuid, 'hosts'), RW: true });
    expect((await dockerExec(name, ['cat', '/root/.ssh/authorized_keys'])).trim()).toBe(KEY);
    expect(await dockerExec(name, ['cat', '/etc/motd'])).toBe('hello from nova\n');
  });

  it('get_info, instance_exists, list_instances, list_instance_uuids, get_console_output', async () => {
    const c = await docker.getContainer(name).inspect();
    expect(await py.ok(on('get_info'))).toEqual({ state: POWER_STATE.RUNNING, internal_id: c.Id });
    expect(await py.ok(on('instance_exists'))).toBe(true);
    expect(await py.ok({ method: 'list_instances' })).toEqual([instanceRef(inst).name]);
    expect(await py.ok({ method: 'list_instance_uuids' })).toEqual([inst.uuid]);
    expect(await py.ok(on('get_console_output'))).toContain(`up-${inst.hostname}`);
  });

  it('reboot SOFT and HARD', async () => {
    const t0 = (await docker.getContainer(name).inspect()).State.StartedAt;
    await py.ok(on('reboot', { kwargs: { reboot_type: 'SOFT' } }));
    const t1 = (await docker.getContainer(name).inspect()).State.StartedAt;
    expect(t1).not.toBe(t0);
    await py.ok(on('reboot', { kwargs: { reboot_type: 'HARD' } }));
    const c = await docker.getContainer(name).inspect();
    expect(c.State.StartedAt).not.toBe(t1);
    expect(await state()).toBe(POWER_STATE.RUNNING);
  });

  it('power_off with a timeout (clean SIGTERM stop), power_on', async () => {
    const r = await py.call(on('power_off', { kwargs: { timeout: 20, retry_interval: 5 } }));
    expect(r.ok).toBe(true);
    expect(r.elapsed).toBeLessThan(10);
    expect(await state()).toBe(POWER_STATE.SHUTDOWN);
    expect((await docker.getContainer(name).inspect()).State.ExitCode).not.toBe(137);
    await py.ok(on('power_on'));
    expect(await state()).toBe(POWER_STATE.RUNNING);
  });

  it('pause/unpause and suspend/resume, with the power states Nova expects', async () => {
    await py.ok(on('pause'));
    expect(await state()).toBe(POWER_STATE.PAUSED);
    await py.ok(on('unpause'));
    expect(await state()).toBe(POWER_STATE.RUNNING);
    await py.ok(on('suspend'));
    expect(await state()).toBe(POWER_STATE.SUSPENDED);
    await py.ok(on('resume'));
    expect(await state()).toBe(POWER_STATE.RUNNING);
  });

  it('live resize with docker update (quota follows the new vCPUs)', async () => {
    await py.ok(on('live_resize', { kwargs: { flavor: { ...inst.flavor, vcpus: 1, memory_mb: 112, name: 'm1.py2' } } }));
    const c = await docker.getContainer(name).inspect();
    expect(c.HostConfig.CpuQuota).toBe(100_000);
    expect(c.HostConfig.Memory).toBe(112 * 1024 * 1024);
    expect(c.State.Status).toBe('running');
  });

  it('get_available_resource and get_host_uptime', async () => {
    const info = await docker.info();
    const r = (await py.ok({ method: 'get_available_resource', kwargs: { nodename: id.host } })) as Record<string, unknown>;
    expect(r).toMatchObject({ vcpus: info.NCPU, vcpus_used: 1, memory_mb_used: 112, local_gb_used: 1, hypervisor_type: 'docker', hypervisor_hostname: id.host });
    expect(r.supported_instances).toEqual([[expect.any(String), 'docker', 'exe']]);
    expect(await py.ok({ method: 'get_host_uptime' })).toMatch(/up /);
  });

  it('get_available_resource for a node this service does not serve is InvalidInput', async () => {
    expectNova(await py.fails({ method: 'get_available_resource', kwargs: { nodename: 'elsewhere' } }), 'InvalidInput');
  });

  it('destroy leaves nothing; then get_info raises nova.exception.InstanceNotFound', async () => {
    await py.ok(on('destroy'));
    expect(await inspectOrNull(docker, name)).toBeNull();
    expect(existsSync(path.join(id.stateDir, inst.uuid))).toBe(false);
    await py.ok(on('destroy'));
    const err = await py.fails(on('get_info'));
    expectNova(err, 'InstanceNotFound');
    expect(err.kwargs).toMatchObject({ code: 404, instance_uuid: inst.uuid, error_code: 'ERR_INSTANCE_NOT_FOUND' });
    expect(await py.ok(on('instance_exists'))).toBe(false);
  });
});

describe('bad payloads: the Nova exception Nova expects, nothing created', () => {
  it('payloads the shim would never build are nova.exception.InvalidInput naming the field', async () => {
    const inst = novaInstance();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ instance: { uuid: 'not-a-uuid' }, image_meta: novaImageMeta() }, /instance\.uuid must be a UUID/],
      [{ instance: { uuid: inst.uuid, flavor: { vcpus: 0, memory_mb: 64 } }, image_meta: novaImageMeta() }, /instance\.flavor\.vcpus must be >= 1/],
      [{ instance: { uuid: inst.uuid, flavor: { vcpus: 1, memory_mb: 64 }, metadata: { k: 5 } }, image_meta: novaImageMeta() }, /instance\.metadata\["k"\] must be a string/],
      [{ instance: { uuid: inst.uuid, flavor: { vcpus: 1, memory_mb: 64 } } }, /image_meta must be an object/],
    ];
    for (const [raw, message] of cases) {
      const err = await py.fails({ method: 'spawn', raw_args: raw });
      expectNova(err, 'InvalidInput');
      expect(err.str).toMatch(message);
      expect(err.kwargs).toMatchObject({ code: 400, error_code: 'ERR_INVALID_ARGUMENT' });
    }
    expect(await containersOf(docker, id.host)).toEqual([]);
    expect(stateDirs(id)).toEqual([]);
  });

  it('Nova objects with values our validation refuses (a hostname Docker cannot use) are InvalidInput too', async () => {
    const bad = novaInstance({ hostname: 'under_score' });
    const err = await py.fails({ method: 'spawn', instance: bad, image_meta: novaImageMeta() });
    expectNova(err, 'InvalidInput');
    expect(err.str).toMatch(/instance\.hostname/);
    expect(await containersFor(docker, id.host, bad.uuid)).toEqual([]);
    expect(stateDirs(id)).not.toContain(bad.uuid);
  });

  it('an image neither on the host nor downloadable (no [glance] here) is a Nova failure naming why; nothing created', async () => {
    const inst = novaInstance();
    const err = await py.fails({ method: 'spawn', instance: inst, image_meta: novaImageMeta('sleep 1', { name: 'absent/image:1' }) });
    expect(err.mro.some((c) => c === 'nova.exception.ImageNotFound' || c === 'nova.exception.InstanceDeployFailure'), err.str).toBe(true);
    expect(err.mro).toContain('nova.exception.NovaException');
    expect(err.str).toMatch(/not present on the Docker Engine|cannot find Glance/);
    expect(await containersFor(docker, id.host, inst.uuid)).toEqual([]);
    expect(stateDirs(id)).not.toContain(inst.uuid);
  });

  it('operations on an unknown instance are nova.exception.InstanceNotFound', async () => {
    const ghost = novaInstance();
    for (const method of ['get_info', 'power_on', 'reboot', 'pause', 'get_console_output']) {
      const err = await py.fails({ method, instance: ghost, kwargs: method === 'reboot' ? { reboot_type: 'SOFT' } : {} });
      expectNova(err, 'InstanceNotFound');
    }
    // power_off of a missing instance is success, as libvirt's (its _clean_shutdown and _destroy
    // treat a missing domain as off): Nova's stop, rebuild and soft delete power off first.
    await py.ok({ method: 'power_off', instance: ghost, kwargs: { timeout: 0 } });
    expect(stateDirs(id)).not.toContain(ghost.uuid);
  });
});

describe('a duplicated spawn from Python (same UUID twice at once)', () => {
  it('converges on one running container; both calls succeed', async () => {
    const inst = novaInstance();
    const call: NovaPeerCall = { method: 'spawn', instance: inst, image_meta: novaImageMeta() };
    const [a, b] = await Promise.all([py.call(call), py.call(call)]);
    expect([a.ok, b.ok]).toEqual([true, true]);
    expect((await containersFor(docker, id.host, inst.uuid)).map((c) => c.State)).toEqual(['running']);
    await py.ok({ method: 'destroy', instance: inst });
    expect(await containersOf(docker, id.host)).toEqual([]);
    expect(stateDirs(id)).toEqual([]);
  });
});
