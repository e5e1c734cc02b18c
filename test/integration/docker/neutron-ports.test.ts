/**
 * network_mode = neutron on the real dockerd and this host's network stack:
 * Linux-bridge ports (what Neutron's linuxbridge agent binds) become veth
 * pairs, the host end on the port's bridge under Neutron's tap name, the
 * container end eth0 with the port's MAC, address, MTU and routes. Two
 * instances and the host reach each other; a restart plugs them again; a
 * stop and a destroy leave no device behind; a port that cannot be plugged
 * fails the spawn before anything is created.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpawnArgs } from '../../../src/compute/payloads.js';
import { isBridgeError } from '../../../src/errors/bridge-error.js';
import { run } from '../../helpers/services.js';
import { createDriverEnv, dockerExec, spawnPayload, type DriverEnv } from './driver-test-env.js';

const NET = `10.213.${randomInt(1, 250)}`;
const BRIDGE = `ndbq${randomUUID().slice(0, 8)}`;
let env: DriverEnv;

function port(ip: string, mac: string): { vif: Record<string, unknown>; id: string; tap: string } {
  const id = randomUUID();
  const tap = `tap${id.slice(0, 11)}`;
  return {
    id,
    tap,
    vif: {
      id,
      address: mac,
      type: 'bridge',
      devname: tap,
      details: { port_filter: true },
      network: {
        id: 'net-1',
        bridge: BRIDGE,
        meta: { mtu: 1400 },
        subnets: [
          {
            cidr: `${NET}.0/24`,
            dns: [{ address: `${NET}.2` }],
            gateway: { address: `${NET}.1` },
            ips: [{ address: ip }],
            routes: [{ cidr: '198.51.100.0/24', gateway: { address: `${NET}.254` } }],
          },
        ],
      },
    },
  };
}

const a = port(`${NET}.5`, 'fa:16:3e:aa:00:05');
const b = port(`${NET}.6`, 'fa:16:3e:aa:00:06');
const argsA = parseSpawnArgs(spawnPayload({ command: 'sleep 3600', extra: { network_info: [a.vif] } }));
const argsB = parseSpawnArgs(spawnPayload({ command: 'sleep 3600', extra: { network_info: [b.vif] } }));
const nameA = `nova-${argsA.instance.uuid}`;
const nameB = `nova-${argsB.instance.uuid}`;
const sys = (dev: string, file: string): string => readFileSync(`/sys/class/net/${dev}/${file}`, 'utf8').trim();

beforeAll(async () => {
  env = createDriverEnv({ networkMode: 'neutron' });
  await env.driver.init_host({ host: env.host });
  await env.driver.spawn(argsA);
  await env.driver.spawn(argsB);
  // The host as the tenant network's router would be: Sahara reaches instances on their port addresses.
  await run('ip', ['address', 'add', `${NET}.1/24`, 'dev', BRIDGE]);
  // dockerd sets FORWARD's policy to DROP and bridged frames pass iptables (br_netfilter): between
  // ports, Neutron's firewall driver accepts what security groups allow; here, as with
  // firewall_driver = noop, the operator's rule in DOCKER-USER (docs/troubleshooting.md).
  await run('iptables', FORWARD_RULE('-I'));
});
afterAll(async () => {
  await env.cleanup();
  await run('iptables', FORWARD_RULE('-D')).catch(() => undefined);
  await run('ip', ['link', 'del', 'dev', BRIDGE]).catch(() => undefined);
});

function FORWARD_RULE(op: '-I' | '-D'): string[] {
  return [op, 'DOCKER-USER', '-i', BRIDGE, '-o', BRIDGE, '-j', 'ACCEPT'];
}

describe('Linux-bridge ports', () => {
  it('creates the bridge and joins the host end to it, under the tap name, with the fe: MAC and the MTU', () => {
    expect(existsSync(`/sys/class/net/${BRIDGE}/bridge`)).toBe(true);
    expect(existsSync(`/sys/class/net/${BRIDGE}/brif/${a.tap}`)).toBe(true);
    expect(sys(a.tap, 'address')).toBe('fe:16:3e:aa:00:05');
    expect(sys(a.tap, 'mtu')).toBe('1400');
    expect(sys(a.tap, 'operstate')).toBe('up');
  });

  it('gives the container eth0 with the port\'s MAC, address, MTU, default and host routes, and Docker no network of its own', async () => {
    const link = await dockerExec(nameA, ['ip', '-o', 'link', 'show', 'eth0']);
    expect(link).toContain('link/ether fa:16:3e:aa:00:05');
    expect(link).toContain('mtu 1400');
    expect(await dockerExec(nameA, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'])).toContain(`inet ${NET}.5/24`);
    const routes = await dockerExec(nameA, ['ip', 'route']);
    expect(routes).toContain(`default via ${NET}.1 dev eth0`);
    expect(routes).toContain(`198.51.100.0/24 via ${NET}.254 dev eth0`);
    expect((await env.docker.getContainer(nameA).inspect()).HostConfig.NetworkMode).toBe('none');
    expect(await dockerExec(nameA, ['cat', '/etc/resolv.conf'])).toContain(`nameserver ${NET}.2`);
  });

  it('instances reach each other, and the host reaches them, on their port addresses', async () => {
    await dockerExec(nameA, ['ping', '-c', '1', '-W', '3', `${NET}.6`]);
    await dockerExec(nameB, ['ping', '-c', '1', '-W', '3', `${NET}.5`]);
    await run('/bin/busybox', ['ping', '-c', '1', '-W', '3', `${NET}.5`]);
  });

  it('a power_on of the running instance leaves its interfaces alone', async () => {
    const before = sys(a.tap, 'ifindex');
    await env.driver.power_on({ instance: argsA.instance });
    expect(sys(a.tap, 'ifindex')).toBe(before);
  });

  it('plugs them again after a soft and a hard reboot (a new namespace each time)', async () => {
    for (const reboot_type of ['SOFT', 'HARD'] as const) {
      const before = sys(a.tap, 'ifindex');
      await env.driver.reboot({ instance: argsA.instance, reboot_type });
      expect(sys(a.tap, 'ifindex')).not.toBe(before);
      await dockerExec(nameA, ['ping', '-c', '1', '-W', '3', `${NET}.6`]);
    }
  });

  it('init_host plugs the ports of a running instance whose namespace lost them (a restart outside the driver, or a crash before the plug)', async () => {
    await run('docker', ['restart', '-t', '0', nameA]);
    expect(existsSync(`/sys/class/net/${a.tap}`)).toBe(false);
    const report = await env.driver.init_host({ host: env.host });
    expect(report.reconcile.replugged).toEqual([argsA.instance.uuid]);
    expect(report.reconcile.plugFailures).toEqual([]);
    expect(existsSync(`/sys/class/net/${BRIDGE}/brif/${a.tap}`)).toBe(true);
    await dockerExec(nameA, ['ping', '-c', '1', '-W', '3', `${NET}.6`]);
    // B was plugged in its current namespace: left alone.
    const again = await env.driver.init_host({ host: env.host });
    expect(again.reconcile.replugged).toEqual([]);
  });

  it('an instance whose ports cannot be plugged at init_host is reported, and the service starts', async () => {
    await run('docker', ['restart', '-t', '0', nameA]);
    // Something else took the tap name meanwhile: a bridge is never deleted to make room.
    await run('ip', ['link', 'add', a.tap, 'type', 'bridge']);
    try {
      const report = await env.driver.init_host({ host: env.host });
      expect(report.reconcile.plugFailures).toEqual([expect.objectContaining({ uuid: argsA.instance.uuid, code: 'ERR_VIF_PLUG_FAILED' })]);
      expect(report.reconcile.replugged).toEqual([]);
    } finally {
      await run('ip', ['link', 'del', 'dev', a.tap]);
    }
    await env.driver.reboot({ instance: argsA.instance, reboot_type: 'HARD' });
    await dockerExec(nameA, ['ping', '-c', '1', '-W', '3', `${NET}.6`]);
  });

  it('power_off removes the host end with the namespace; power_on plugs it again', async () => {
    await env.driver.power_off({ instance: argsA.instance, timeout: 0, retry_interval: 0 });
    expect(existsSync(`/sys/class/net/${a.tap}`)).toBe(false);
    await env.driver.power_on({ instance: argsA.instance });
    await dockerExec(nameA, ['ping', '-c', '1', '-W', '3', `${NET}.6`]);
  });

  it('destroy leaves no host device', async () => {
    await env.driver.destroy({ instance: argsB.instance });
    expect(existsSync(`/sys/class/net/${b.tap}`)).toBe(false);
  });
});

describe('ports that cannot be plugged', () => {
  it('an OVS port fails the spawn as bad input before anything is created', async () => {
    const ovs = { ...port(`${NET}.9`, 'fa:16:3e:aa:00:09').vif, type: 'ovs' };
    const args = parseSpawnArgs(spawnPayload({ command: 'sleep 3600', extra: { network_info: [ovs] } }));
    const err = await env.driver.spawn(args).catch((e: unknown) => e);
    expect(isBridgeError(err, 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(/VIF type "ovs"/);
    expect(await env.driver.instance_exists({ instance: args.instance })).toBe(false);
    expect(existsSync(`${env.stateDir}/${args.instance.uuid}`)).toBe(false);
  });

  it('a host device name taken by something else (a bridge) is left alone: the spawn fails and its container goes', async () => {
    const clash = { ...port(`${NET}.10`, 'fa:16:3e:aa:00:10').vif, devname: BRIDGE };
    const args = parseSpawnArgs(spawnPayload({ command: 'sleep 3600', extra: { network_info: [clash] } }));
    const err = await env.driver.spawn(args).catch((e: unknown) => e);
    expect(isBridgeError(err, 'ERR_DEPLOY_FAILED')).toBe(true);
    expect((err as Error).message).toMatch(new RegExp(`host device ${BRIDGE} .* is not a veth pair \\(it is a bridge\\): refusing to touch it`));
    expect((err as { details: Record<string, unknown> }).details.cause_code).toBe('ERR_VIF_PLUG_FAILED');
    expect(await env.driver.instance_exists({ instance: args.instance })).toBe(false);
    expect(existsSync(`/sys/class/net/${BRIDGE}/bridge`)).toBe(true);
  });
});
