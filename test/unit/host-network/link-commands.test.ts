import { describe, expect, it } from 'vitest';
import type { InterfacePlan } from '../../../src/host-network/host-network.js';
import { bridgeCommands, containerBatch, hostCommands } from '../../../src/host-network/link-commands.js';

const plan: InterfacePlan = {
  portId: 'p1',
  hostDevice: 'tap3f0b8c2a-51',
  hostMac: 'fe:16:3e:12:34:56',
  bridge: 'brq5d7e1f2a-3b',
  containerDevice: 'eth0',
  mac: 'fa:16:3e:12:34:56',
  mtu: 1450,
  addresses: ['10.0.0.5/24', '2001:db8::5/64'],
  routes: [
    { destination: '0.0.0.0/0', via: '10.0.0.1' },
    { destination: '::/0', via: '2001:db8::1' },
  ],
};

describe('iproute2 command lines', () => {
  it('create a missing bridge and bring it up', () => {
    expect(bridgeCommands('brq1')).toEqual([
      ['link', 'add', 'name', 'brq1', 'type', 'bridge'],
      ['link', 'set', 'dev', 'brq1', 'up'],
    ]);
  });
  it('create the pair with its container end already in the namespace, then join the bridge', () => {
    expect(hostCommands(4242, plan)).toEqual([
      ['link', 'add', 'name', 'tap3f0b8c2a-51', 'address', 'fe:16:3e:12:34:56', 'mtu', '1450', 'type', 'veth', 'peer', 'name', 'eth0', 'address', 'fa:16:3e:12:34:56', 'mtu', '1450', 'netns', '4242'],
      ['link', 'set', 'dev', 'tap3f0b8c2a-51', 'master', 'brq5d7e1f2a-3b', 'up'],
    ]);
    expect(hostCommands(7, { ...plan, mtu: null })[0]).not.toContain('mtu');
  });
  it('configure the container end: addresses (IPv6 without DAD), up, routes', () => {
    expect(containerBatch(plan)).toEqual([
      'address add 10.0.0.5/24 dev eth0',
      'address add 2001:db8::5/64 dev eth0 nodad',
      'link set dev eth0 up',
      'route replace 0.0.0.0/0 via 10.0.0.1 dev eth0',
      'route replace ::/0 via 2001:db8::1 dev eth0',
    ]);
  });
});
