/**
 * One server's life on the all-in-one, through the openstack CLI: boot, the
 * container Docker runs for it, console, every power operation (Nova's power
 * state against Docker's container state each time), snapshot and a boot from
 * it, delete (container gone, placement allocations released). The tests of
 * this file build on each other and run in order.
 */
import { availableParallelism } from 'node:os';
import { afterAll, describe, expect, test } from 'vitest';
import { TEST_IMAGE, run, waitFor } from '../helpers/services.js';
import {
  POWER_STATE,
  allocationsOf,
  bootServer,
  closeOpenstackSessions,
  computeProviderUuid,
  containerOf,
  containersOf,
  deleteServers,
  e2e,
  openstack,
  openstackJson,
  powerState,
  powerStatesFor,
  waitForServer,
  type ContainerView,
  type ServerView,
} from './helpers/cloud.js';

const ctx = e2e();
const MIB = 1024 * 1024;
/** Nova → shim → bus → service → container: the script appends, so a second run would show. */
const USER_DATA = '#!/bin/sh\necho "user-data ran as $(id -u) on $(hostname)" >> /tmp/e2e-user-data\n';

/** Servers this file made, for the clean-up of a failed run. */
const made: string[] = [];
let server: ServerView | undefined;
let fromSnapshot: ServerView | undefined;
let snapshotId: string | undefined;

afterAll(async () => {
  try {
    await deleteServers(made);
  } finally {
    if (snapshotId) {
      await openstack(['image', 'delete', snapshotId]).catch(() => undefined);
      // The boot from the snapshot loaded it from Glance under this tag: ours to remove.
      await run('docker', ['rmi', `glance-image:${snapshotId}`]).catch(() => undefined);
    }
    closeOpenstackSessions();
  }
});

function theServer(): ServerView {
  if (!server) throw new Error('no server: the boot test failed');
  return server;
}

/** The host's CPUs: the service caps a container's CPU limit there. */
function cpus(): number {
  return availableParallelism();
}

/** CPUs a container may use, whichever of Docker's CPU settings the service chose. */
function cpuLimit(c: ContainerView): number {
  if (c.HostConfig.NanoCpus > 0) return c.HostConfig.NanoCpus / 1e9;
  if (c.HostConfig.CpuQuota > 0 && c.HostConfig.CpuPeriod > 0) return c.HostConfig.CpuQuota / c.HostConfig.CpuPeriod;
  return c.HostConfig.CpuShares / 1024;
}

describe('server lifecycle', () => {
  test('glance-docker imported the busybox test image as a docker-format image', async () => {
    const image = await openstackJson<{ status: string; container_format: string; disk_format: string; properties: Record<string, unknown> }>([
      'image', 'show', ctx.imageId,
    ]);
    const local = JSON.parse((await run('docker', ['image', 'inspect', TEST_IMAGE])).stdout) as Array<{ Id: string }>;
    expect(image.status).toBe('active');
    expect(image.container_format).toBe('docker');
    expect(image.disk_format).toBe('raw');
    expect(image.properties.docker_image_id).toBe(local[0]!.Id);
    expect(ctx.dockerImageId).toBe(local[0]!.Id);
    expect(String(image.properties.os_command_line)).toContain(ctx.consoleMarker);
  });

  test('server create --nic none --wait: ACTIVE, and a running container with its host name, limits and metadata', async () => {
    const name = `${ctx.prefix}-life`;
    server = await bootServer(name, { properties: { role: 'worker', 'e2e-run': ctx.prefix }, userData: USER_DATA });
    made.push(server.id);
    expect(server.status).toBe('ACTIVE');
    expect(powerState(server)).toBe(POWER_STATE.RUNNING);
    expect(server['OS-EXT-SRV-ATTR:host']).toBe(ctx.computeHost);

    const c = await containerOf(server.id);
    expect(c.State.Status).toBe('running');
    expect(c.Name).toBe(`/nova-${server.id}`);
    expect(c.Image).toBe(ctx.dockerImageId);
    expect(c.Config.Hostname).toBe(server['OS-EXT-SRV-ATTR:hostname']);
    expect(c.Config.Hostname).toBe(name);
    expect(c.HostConfig.Memory).toBe(ctx.flavor.ramMb * MIB);
    expect(cpuLimit(c)).toBe(ctx.flavor.vcpus);
    // Instance metadata becomes the environment (names made shell-safe).
    expect(c.Config.Env).toEqual(expect.arrayContaining(['role=worker', `e2e_run=${ctx.prefix}`]));
    expect(c.Config.Labels).toMatchObject({
      'org.openstack.nova.instance-uuid': server.id,
      'org.openstack.nova-docker-bridge.host': ctx.computeHost,
      'org.openstack.nova.instance-name': server['OS-EXT-SRV-ATTR:instance_name'],
      'org.openstack.nova.flavor-name': ctx.flavor.name,
      'org.openstack.glance.image-id': ctx.imageId,
    });

    const allocations = await allocationsOf(server.id);
    expect(allocations).toEqual([
      expect.objectContaining({
        resource_provider: await computeProviderUuid(),
        resources: { VCPU: ctx.flavor.vcpus, MEMORY_MB: ctx.flavor.ramMb, DISK_GB: ctx.flavor.diskGb },
      }),
    ]);
  });

  test('server create --user-data: the script ran in the container, as root, once', async () => {
    const s = theServer();
    const read = async (): Promise<string> => (await run('docker', ['exec', `nova-${s.id}`, 'sh', '-c', 'cat /tmp/e2e-user-data 2>/dev/null || true'])).stdout;
    await waitFor(async () => (await read()) !== '', { what: 'the user-data script to run', timeoutMs: 30_000, intervalMs: 200 });
    expect(await read()).toBe(`user-data ran as 0 on ${s['OS-EXT-SRV-ATTR:hostname']}\n`);
  });

  test('console log show: what the container printed', async () => {
    const s = theServer();
    const expected = `${ctx.consoleMarker} host=${s['OS-EXT-SRV-ATTR:hostname']}`;
    const log = await waitFor(
      async () => {
        const out = await openstack(['console', 'log', 'show', s.id]);
        return out.includes(expected) ? out : undefined;
      },
      { what: `"${expected}" in the console log`, timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(log).toContain(expected);
  });

  // Each operation, then Nova's view (status, power state) and Docker's.
  const powerOps: Array<{ op: string; args: string[]; status: string; power: number; docker: string; restarts?: boolean }> = [
    { op: 'stop', args: ['server', 'stop'], status: 'SHUTOFF', power: POWER_STATE.SHUTDOWN, docker: 'exited' },
    { op: 'start', args: ['server', 'start'], status: 'ACTIVE', power: POWER_STATE.RUNNING, docker: 'running' },
    { op: 'reboot', args: ['server', 'reboot', '--wait'], status: 'ACTIVE', power: POWER_STATE.RUNNING, docker: 'running', restarts: true },
    { op: 'reboot --hard', args: ['server', 'reboot', '--hard', '--wait'], status: 'ACTIVE', power: POWER_STATE.RUNNING, docker: 'running', restarts: true },
    { op: 'pause', args: ['server', 'pause'], status: 'PAUSED', power: POWER_STATE.PAUSED, docker: 'paused' },
    { op: 'unpause', args: ['server', 'unpause'], status: 'ACTIVE', power: POWER_STATE.RUNNING, docker: 'running' },
    { op: 'suspend', args: ['server', 'suspend'], status: 'SUSPENDED', power: POWER_STATE.SUSPENDED, docker: 'paused' },
    { op: 'resume', args: ['server', 'resume'], status: 'ACTIVE', power: POWER_STATE.RUNNING, docker: 'running' },
  ];

  test.each(powerOps)('server $op: $status, power state $power, container $docker', async ({ args, status, power, docker, restarts }) => {
    const s = theServer();
    const before = await containerOf(s.id);
    await openstack([...args, s.id], { timeoutMs: 180_000 });
    const after = await waitForServer(s.id, status);
    expect(powerState(after)).toBe(power);

    const c = await containerOf(s.id);
    expect(c.Id).toBe(before.Id);
    expect(c.State.Status).toBe(docker);
    expect(powerStatesFor(c.State)).toContain(powerState(after));
    if (restarts) expect(c.State.StartedAt).not.toBe(before.State.StartedAt);
  });

  test('the user data did not run again across stop, start and reboots', async () => {
    const s = theServer();
    const { stdout } = await run('docker', ['exec', `nova-${s.id}`, 'cat', '/tmp/e2e-user-data']);
    expect(stdout).toBe(`user-data ran as 0 on ${s['OS-EXT-SRV-ATTR:hostname']}\n`);
  });

  test('server image create --wait: a docker-format snapshot that boots again', async () => {
    const s = theServer();
    const source = await containerOf(s.id);
    const image = await openstackJson<{ id: string; status: string; container_format: string; disk_format: string; properties: Record<string, unknown> }>(
      ['server', 'image', 'create', '--wait', '--name', `${ctx.prefix}-snap`, s.id],
      { timeoutMs: 300_000 },
    );
    snapshotId = image.id;
    expect(image.status).toBe('active');
    expect(image.container_format).toBe('docker');
    expect(image.disk_format).toBe('raw');
    expect(image.properties.image_type).toBe('snapshot');
    expect(image.properties.instance_uuid).toBe(s.id);
    const dockerImageId = String(image.properties.docker_image_id);
    expect(dockerImageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(dockerImageId).not.toBe(ctx.dockerImageId);
    // The source keeps running.
    expect((await containerOf(s.id)).State.Status).toBe('running');

    fromSnapshot = await bootServer(`${ctx.prefix}-from-snap`, { image: image.id });
    made.push(fromSnapshot.id);
    expect(powerState(fromSnapshot)).toBe(POWER_STATE.RUNNING);
    const c = await containerOf(fromSnapshot.id);
    expect(c.State.Status).toBe('running');
    expect(c.Image).toBe(dockerImageId);
    expect(c.Config.Cmd).toEqual(source.Config.Cmd);
    // The new instance's own labels, not the ones committed from the source.
    expect(c.Config.Labels).toMatchObject({
      'org.openstack.nova.instance-uuid': fromSnapshot.id,
      'org.openstack.glance.image-id': image.id,
    });
  });

  test('server resize --wait: the same container, still running, gets the new flavor\'s limits live; resize confirm', async () => {
    const s = theServer();
    const before = await containerOf(s.id);
    const to = ctx.resizeFlavor;
    await openstack(['server', 'resize', '--flavor', to.id, '--wait', s.id], { timeoutMs: 300_000 });
    const verifying = await waitForServer(s.id, 'VERIFY_RESIZE');
    expect(powerState(verifying)).toBe(POWER_STATE.RUNNING);
    expect(verifying.flavor?.original_name).toBe(to.name);
    const c = await containerOf(s.id);
    expect(c.Id).toBe(before.Id);
    expect(c.State.Status).toBe('running');
    expect(c.State.StartedAt).toBe(before.State.StartedAt);
    expect(c.HostConfig.Memory).toBe(to.ramMb * MIB);
    expect(cpuLimit(c)).toBe(Math.min(to.vcpus, cpus()));

    await openstack(['server', 'resize', 'confirm', s.id]);
    const confirmed = await waitForServer(s.id, 'ACTIVE');
    expect(powerState(confirmed)).toBe(POWER_STATE.RUNNING);
    expect(confirmed.flavor?.original_name).toBe(to.name);
    expect((await containerOf(s.id)).HostConfig.Memory).toBe(to.ramMb * MIB);
    const allocations = await waitFor(
      async () => {
        const a = await allocationsOf(s.id);
        return a.length === 1 && a[0]!.resources.VCPU === to.vcpus ? a : undefined;
      },
      { what: `placement allocations of ${s.id} for flavor ${to.name}`, timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(allocations[0]!.resources).toEqual({ VCPU: to.vcpus, MEMORY_MB: to.ramMb, DISK_GB: to.diskGb });
  });

  test('server resize, then resize revert: the container survives the revert and gets its limits back', async () => {
    const s = theServer();
    const before = await containerOf(s.id);
    const from = ctx.resizeFlavor;
    const to = ctx.flavor;
    await openstack(['server', 'resize', '--flavor', to.id, '--wait', s.id], { timeoutMs: 300_000 });
    await waitForServer(s.id, 'VERIFY_RESIZE');
    expect((await containerOf(s.id)).HostConfig.Memory).toBe(to.ramMb * MIB);

    await openstack(['server', 'resize', 'revert', s.id]);
    const reverted = await waitForServer(s.id, 'ACTIVE');
    expect(powerState(reverted)).toBe(POWER_STATE.RUNNING);
    expect(reverted.flavor?.original_name).toBe(from.name);
    const c = await containerOf(s.id);
    expect(c.Id).toBe(before.Id);
    expect(c.State.Status).toBe('running');
    expect(c.HostConfig.Memory).toBe(from.ramMb * MIB);
    expect(cpuLimit(c)).toBe(Math.min(from.vcpus, cpus()));
    await waitFor(
      async () => {
        const a = await allocationsOf(s.id);
        return a.length === 1 && a[0]!.resources.MEMORY_MB === from.ramMb;
      },
      { what: `placement allocations of ${s.id} back to flavor ${from.name}`, timeoutMs: 30_000, intervalMs: 200 },
    );
  });

  test('server delete --wait: containers gone, placement allocations released', async () => {
    const ids = made.slice();
    expect(ids.length).toBeGreaterThan(0);
    await openstack(['server', 'delete', '--wait', ...ids], { timeoutMs: 180_000 });
    for (const id of ids) {
      expect(await containersOf(id)).toEqual([]);
      expect(await allocationsOf(id)).toEqual([]);
    }
    made.length = 0;
  });
});
