/**
 * Servers on a real Neutron network (`--nic net-id=`): Nova allocates and
 * binds the ports (ML2/linuxbridge, this host's agent), the driver plugs them
 * into the containers, and the agent sees them on the network's bridge (the
 * port goes ACTIVE). The host and the servers reach each other on the
 * addresses Neutron gave; a stop takes the port DOWN and a start brings it
 * back; a delete releases the port and leaves no device on the host.
 */
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { run, waitFor } from '../helpers/services.js';
import { bootServer, closeOpenstackSessions, deleteServers, e2e, openstack, openstackJson, waitForServer, type ServerView } from './helpers/cloud.js';

const ctx = e2e();
const made: string[] = [];
const servers: ServerView[] = [];

/** The fields of `openstack port show -f json` checked here. */
interface PortView {
  id: string;
  status: string;
  mac_address: string;
  binding_host_id: string;
  binding_vif_type: string;
  device_id: string;
  fixed_ips: Array<{ subnet_id: string; ip_address: string }>;
}

afterAll(async () => {
  try {
    await deleteServers(made);
  } finally {
    closeOpenstackSessions();
  }
});

async function portsOf(serverId: string): Promise<PortView[]> {
  const rows = await openstackJson<Array<{ ID: string }>>(['port', 'list', '--device-id', serverId]);
  return Promise.all(rows.map((r) => openstackJson<PortView>(['port', 'show', r.ID])));
}

async function waitPortStatus(serverId: string, status: 'ACTIVE' | 'DOWN'): Promise<PortView> {
  // The agent polls for tap devices every 2 s, then reports the port up or down.
  return waitFor(
    async () => {
      const [p] = await portsOf(serverId);
      return p?.status === status ? p : undefined;
    },
    { what: `the Neutron port of server ${serverId} ${status}`, timeoutMs: 60_000, intervalMs: 500 },
  );
}

function addressOf(s: ServerView): string {
  const ip = s.addresses?.[ctx.network.name]?.[0];
  if (ip === undefined) throw new Error(`server ${s.id} has no address on ${ctx.network.name}: ${JSON.stringify(s.addresses)}`);
  return ip;
}

function theServers(): [ServerView, ServerView] {
  if (servers.length < 2) throw new Error('no servers: the boot test failed');
  return [servers[0]!, servers[1]!];
}

const exec = async (serverId: string, argv: string[]): Promise<string> => (await run('docker', ['exec', `nova-${serverId}`, ...argv])).stdout;
const ping = async (from: string | null, ip: string): Promise<void> => {
  const argv = ['ping', '-c', '1', '-W', '3', ip];
  if (from === null) await run('/bin/busybox', argv);
  else await exec(from, argv);
};

describe('Neutron ports', () => {
  test(`server create --nic net-id=${ctx.network.name}: Nova binds the port to this host, the container has its MAC and address, the agent sets it ACTIVE`, async () => {
    for (const n of ['a', 'b']) {
      const s = await bootServer(`${ctx.prefix}-port-${n}`, { networkId: ctx.network.id });
      made.push(s.id);
      servers.push(s);
    }
    for (const s of servers) {
      const ip = addressOf(s);
      const port = await waitPortStatus(s.id, 'ACTIVE');
      expect(port).toMatchObject({ binding_host_id: ctx.computeHost, binding_vif_type: 'bridge', device_id: s.id });
      expect(port.fixed_ips.map((f) => f.ip_address)).toEqual([ip]);
      const link = await exec(s.id, ['ip', '-o', 'link', 'show', 'eth0']);
      expect(link).toContain(`link/ether ${port.mac_address}`);
      const prefix = ctx.network.cidr.split('/')[1];
      expect(await exec(s.id, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'])).toContain(`inet ${ip}/${prefix}`);
      expect(await exec(s.id, ['ip', 'route'])).toContain(`default via ${ctx.network.gateway} dev eth0`);
      // Neutron's device name: tap + the port id's first 11 characters, on the network's bridge.
      const tap = `tap${port.id.slice(0, 11)}`;
      expect(existsSync(`/sys/class/net/brq${ctx.network.id.slice(0, 11)}/brif/${tap}`)).toBe(true);
    }
  });

  test('the host (the subnet gateway) and the servers reach each other on their Neutron addresses', async () => {
    const [a, b] = theServers();
    await ping(null, addressOf(a));
    await ping(null, addressOf(b));
    await ping(a.id, addressOf(b));
    await ping(b.id, ctx.network.gateway);
  });

  test('server stop takes the port DOWN in Neutron; server start plugs it again and it is ACTIVE', async () => {
    const [a, b] = theServers();
    await openstack(['server', 'stop', a.id]);
    await waitForServer(a.id, 'SHUTOFF');
    await waitPortStatus(a.id, 'DOWN');
    await openstack(['server', 'start', a.id]);
    await waitForServer(a.id, 'ACTIVE');
    await waitPortStatus(a.id, 'ACTIVE');
    await ping(b.id, addressOf(a));
  });

  test('server reboot --hard: the new container namespace gets the port; still reachable', async () => {
    const [a] = theServers();
    await openstack(['server', 'reboot', '--hard', '--wait', a.id], { timeoutMs: 120_000 });
    await waitForServer(a.id, 'ACTIVE');
    await ping(null, addressOf(a));
  });

  test('server delete releases the port in Neutron and leaves no device on the host', async () => {
    const [a] = theServers();
    const [port] = await portsOf(a.id);
    expect(port).toBeDefined();
    await deleteServers([a.id]);
    expect(await portsOf(a.id)).toEqual([]);
    expect(existsSync(`/sys/class/net/tap${port!.id.slice(0, 11)}`)).toBe(false);
  });
});
