import { describe, expect, it } from 'vitest';
import type { Vif } from '../../../../src/compute/payloads.js';
import { planInterfaces } from '../../../../src/compute/translate/vif-plan.js';
import { isBridgeError } from '../../../../src/errors/bridge-error.js';

const PORT = '3f0b8c2a-51d3-4a8e-9d0c-2b1e5f6a7c8d';

function vif(over: Partial<Vif> = {}): Vif {
  return {
    id: PORT,
    address: 'FA:16:3E:12:34:56',
    type: 'bridge',
    devname: 'tap3f0b8c2a-51',
    bridge: 'brq5d7e1f2a-3b',
    mtu: 1450,
    subnets: [{ cidr: '10.0.0.0/24', dns: ['10.0.0.2'], ips: ['10.0.0.5'], gateway: '10.0.0.1', routes: [{ cidr: '192.168.0.0/16', gateway: '10.0.0.254' }] }],
    ...over,
  };
}

describe('planInterfaces', () => {
  it('one Linux-bridge port: tap on its bridge, eth0 with MAC, address, default and host routes', () => {
    expect(planInterfaces([vif()])).toEqual([
      {
        portId: PORT,
        hostDevice: 'tap3f0b8c2a-51',
        hostMac: 'fe:16:3e:12:34:56',
        bridge: 'brq5d7e1f2a-3b',
        containerDevice: 'eth0',
        mac: 'fa:16:3e:12:34:56',
        mtu: 1450,
        addresses: ['10.0.0.5/24'],
        routes: [
          { destination: '0.0.0.0/0', via: '10.0.0.1' },
          { destination: '192.168.0.0/16', via: '10.0.0.254' },
        ],
      },
    ]);
  });

  it('two ports, dual stack: one default route per family (the first port\'s), eth0 and eth1', () => {
    const second = vif({
      id: '99999999-aaaa-bbbb-cccc-dddddddddddd',
      address: 'fa:16:3e:00:00:02',
      devname: null,
      bridge: 'brq-other',
      mtu: null,
      subnets: [
        { cidr: '10.1.0.0/16', dns: [], ips: ['10.1.2.3'], gateway: '10.1.0.1', routes: [] },
        { cidr: '2001:db8::/64', dns: [], ips: ['2001:db8::7'], gateway: '2001:db8::1', routes: [] },
      ],
    });
    const [a, b] = planInterfaces([vif(), second]);
    expect(a?.routes.map((r) => r.destination)).toEqual(['0.0.0.0/0', '192.168.0.0/16']);
    expect(b).toMatchObject({ containerDevice: 'eth1', hostDevice: 'tap99999999-aa', bridge: 'brq-other', mtu: null, addresses: ['10.1.2.3/16', '2001:db8::7/64'] });
    expect(b?.routes).toEqual([{ destination: '::/0', via: '2001:db8::1' }]);
  });

  it('a subnet without a cidr gets a host prefix; without a gateway no default route', () => {
    const [p] = planInterfaces([vif({ subnets: [{ cidr: null, dns: [], ips: ['10.9.9.9', 'fd00::9'], gateway: null, routes: [] }] })]);
    expect(p?.addresses).toEqual(['10.9.9.9/32', 'fd00::9/128']);
    expect(p?.routes).toEqual([]);
  });

  it('no ports: no interfaces', () => {
    expect(planInterfaces([])).toEqual([]);
  });

  it.each<[string, Partial<Vif>, RegExp]>([
    ['an OVS port', { type: 'ovs' }, /network_info\[0\]\.type: port 3f0b8c2a.* VIF type "ovs"; \[compute\] network_mode = neutron plugs "bridge"/],
    ['an unbound port', { type: 'unbound' }, /VIF type "unbound"/],
    ['no type', { type: null }, /VIF type null/],
    ['no port ID', { id: null }, /network_info\[0\]\.id: a Neutron port ID is required/],
    ['a bad MAC', { address: 'fa:16:3e:12:34' }, /network_info\[0\]\.address: port .* has no usable MAC/],
    ['no bridge', { bridge: null }, /network_info\[0\]\.network\.bridge: port .* names no host bridge/],
    ['a bridge name too long', { bridge: 'brq0123456789abcdef' }, /network\.bridge: "brq0123456789abcdef" is not a usable Linux interface name/],
    ['a device name with a slash', { devname: 'tap/../x' }, /devname: "tap\/..\/x" is not a usable/],
    ['an address outside its family', { subnets: [{ cidr: '2001:db8::/64', dns: [], ips: ['10.0.0.5'], gateway: null, routes: [] }] }, /cidr "2001:db8::\/64" is not an IPv4 network for 10\.0\.0\.5/],
    ['a malformed cidr', { subnets: [{ cidr: '10.0.0.0/33', dns: [], ips: ['10.0.0.5'], gateway: null, routes: [] }] }, /cidr "10\.0\.0\.0\/33"/],
    ['a route across families', { subnets: [{ cidr: '10.0.0.0/24', dns: [], ips: ['10.0.0.5'], gateway: null, routes: [{ cidr: '10.8.0.0/16', gateway: 'fd00::1' }] }] }, /routes: cidr "10\.8\.0\.0\/16" is not an IPv6 network/],
  ])('refuses %s as a client fault, naming the field', (_what, over, message) => {
    let err: unknown;
    try {
      planInterfaces([vif(over)]);
    } catch (e) {
      err = e;
    }
    expect(isBridgeError(err, 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(message);
  });

  it('refuses two ports with one host device name', () => {
    expect(() => planInterfaces([vif(), vif({ address: 'fa:16:3e:00:00:09' })])).toThrow(/network_info\[1\]\.devname: tap3f0b8c2a-51 is used by two ports/);
  });
});
