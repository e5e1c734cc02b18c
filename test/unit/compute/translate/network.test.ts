import { describe, expect, it } from 'vitest';
import type { PortPublication } from '../../../../src/docker/docker-engine.js';
import { dnsServers } from '../../../../src/compute/translate/dns.js';
import { networkSettings } from '../../../../src/compute/translate/network-settings.js';
import { parsePortPublication } from '../../../../src/compute/translate/published-ports.js';
import { parseNetworkInfo } from '../../../../src/compute/payloads.js';

describe('dnsServers', () => {
  const nw = (subnets: Array<{ dns: string[] }>): unknown => ({ network: { subnets: subnets.map((s) => ({ dns: s.dns.map((address) => ({ address, type: 'dns', version: 4 })) })) } });
  it.each([
    [[], []],
    [[nw([{ dns: [] }])], []],
    [[nw([{ dns: ['10.0.0.2'] }])], ['10.0.0.2']],
    [[nw([{ dns: ['10.0.0.2', '8.8.8.8'] }, { dns: ['8.8.8.8', 'fd00::53'] }])], ['10.0.0.2', '8.8.8.8', 'fd00::53']],
    [[nw([{ dns: ['1.1.1.1'] }]), nw([{ dns: ['1.1.1.1', '2.2.2.2', '3.3.3.3', '4.4.4.4'] }])], ['1.1.1.1', '2.2.2.2', '3.3.3.3']],
    [[{ network: null }, { id: 'vif' }], []],
  ])('%j → %j', (info, want) => {
    expect(dnsServers(parseNetworkInfo(info))).toEqual(want);
  });
});

describe('parsePortPublication', () => {
  const table: Array<[string, PortPublication]> = [
    ['22', { containerPort: 22, protocol: 'tcp', hostPort: null, hostIp: null }],
    ['53/udp', { containerPort: 53, protocol: 'udp', hostPort: null, hostIp: null }],
    ['8080:80', { containerPort: 80, protocol: 'tcp', hostPort: 8080, hostIp: null }],
    ['127.0.0.1:8080:80/TCP', { containerPort: 80, protocol: 'tcp', hostPort: 8080, hostIp: '127.0.0.1' }],
    ['[::1]:7180:7180', { containerPort: 7180, protocol: 'tcp', hostPort: 7180, hostIp: '::1' }],
    ['9999/sctp', { containerPort: 9999, protocol: 'sctp', hostPort: null, hostIp: null }],
  ];
  it.each(table)('%s', (spec, want) => {
    expect(parsePortPublication(spec)).toEqual(want);
  });
  it.each([
    ['0', /1\.\.65535/],
    ['70000', /1\.\.65535/],
    ['80/icmp', /protocol must be tcp, udp or sctp/],
    ['host:80:80', /host address must be an IP address/],
    ['a:b:c:d', /expected \[host_ip:\]/],
    ['http', /container port must be a number/],
  ])('refuses %s', (spec, message) => {
    expect(() => parsePortPublication(spec)).toThrow(message);
  });
});

describe('networkSettings', () => {
  const port = parsePortPublication('22');
  it('bridge keeps DNS and ports', () => {
    expect(networkSettings('bridge', ['10.0.0.2'], true, [port])).toEqual({ networkMode: 'bridge', dns: ['10.0.0.2'], publishAllPorts: true, ports: [port], ignored: [] });
  });
  it.each(['none', 'host'] as const)('%s drops what cannot apply, and says so', (mode) => {
    const s = networkSettings(mode, ['10.0.0.2'], true, [port]);
    expect(s).toMatchObject({ networkMode: mode, dns: [], publishAllPorts: false, ports: [] });
    expect(s.ignored).toHaveLength(3);
  });
  it('nothing ignored when nothing was asked', () => {
    expect(networkSettings('none', [], false, []).ignored).toEqual([]);
  });
});
