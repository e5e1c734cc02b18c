/**
 * A flavor with an ephemeral disk, booted through Nova: the container gets
 * its per-instance directory at /mnt, placement counts root + ephemeral, the
 * data survives a hard reboot, and deleting the server deletes it.
 */
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { run } from '../helpers/services.js';
import { allocationsOf, bootServer, closeOpenstackSessions, containerOf, deleteServers, e2e, openstack, waitForServer, type ServerView } from './helpers/cloud.js';

const ctx = e2e();
const made: string[] = [];
let server: ServerView | undefined;
let hostDir: string | undefined;

afterAll(async () => {
  try {
    await deleteServers(made);
  } finally {
    closeOpenstackSessions();
  }
});

function theServer(): ServerView {
  if (!server) throw new Error('no server: the boot test failed');
  return server;
}

describe('ephemeral disk', () => {
  test(`server create --flavor ${ctx.ephemeralFlavor.name}: /mnt is the instance's own directory, DISK_GB counts it`, async () => {
    const f = ctx.ephemeralFlavor;
    server = await bootServer(`${ctx.prefix}-ephemeral`, { flavor: f });
    made.push(server.id);
    const c = await containerOf(server.id);
    const mount = (c.Mounts ?? []).find((m) => m.Destination === '/mnt');
    expect(mount).toMatchObject({ Type: 'bind', RW: true });
    expect(mount!.Source).toMatch(new RegExp(`/${server.id}/ephemeral$`));
    hostDir = mount!.Source;
    const allocations = await allocationsOf(server.id);
    expect(allocations[0]?.resources).toEqual({ VCPU: f.vcpus, MEMORY_MB: f.ramMb, DISK_GB: f.diskGb + f.ephemeralGb });
  });

  test('what the instance writes to /mnt survives server reboot --hard', async () => {
    const s = theServer();
    await run('docker', ['exec', `nova-${s.id}`, 'sh', '-c', 'mkdir -p /mnt/fs/dn && echo kept > /mnt/fs/dn/blk']);
    await openstack(['server', 'reboot', '--hard', '--wait', s.id], { timeoutMs: 120_000 });
    await waitForServer(s.id, 'ACTIVE');
    expect((await run('docker', ['exec', `nova-${s.id}`, 'cat', '/mnt/fs/dn/blk'])).stdout).toBe('kept\n');
  });

  test('server delete deletes the ephemeral data', async () => {
    const s = theServer();
    await deleteServers([s.id]);
    expect(hostDir).toBeDefined();
    expect(existsSync(hostDir!)).toBe(false);
  });
});
