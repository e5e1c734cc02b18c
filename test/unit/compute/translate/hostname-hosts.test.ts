import { describe, expect, it } from 'vitest';
import { hostIdentity, type HostIdentity } from '../../../../src/compute/translate/hostname.js';
import { hostsFileContent, hostsFileMount } from '../../../../src/compute/translate/hosts-file.js';

const UUID = '0b6c2d5e-1111-4e2b-8c55-3a2d1c0e9f00';

describe('hostIdentity', () => {
  const table: Array<[string | null, string, HostIdentity]> = [
    ['worker-1', 'novalocal', { hostname: 'worker-1', domainname: 'novalocal', fqdn: 'worker-1.novalocal' }],
    ['worker-1', '', { hostname: 'worker-1', domainname: null, fqdn: 'worker-1' }],
    ['Worker-1', 'Cluster.Example', { hostname: 'worker-1', domainname: 'cluster.example', fqdn: 'worker-1.cluster.example' }],
    ['cdh-master.sahara.local', 'novalocal', { hostname: 'cdh-master', domainname: 'sahara.local', fqdn: 'cdh-master.sahara.local' }],
    [null, 'novalocal', { hostname: 'instance-0b6c2d5e', domainname: 'novalocal', fqdn: 'instance-0b6c2d5e.novalocal' }],
  ];
  it.each(table)('%s with dhcp_domain %j', (hostname, domain, want) => {
    expect(hostIdentity({ uuid: UUID, hostname }, domain)).toEqual(want);
  });
});

describe('hosts file', () => {
  it('maps the FQDN and the short name to 127.0.1.1, after the loopback names', () => {
    const text = hostsFileContent({ hostname: 'w1', domainname: 'novalocal', fqdn: 'w1.novalocal' });
    expect(text.split('\n')).toEqual([
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      'fe00::0\tip6-localnet',
      'ff00::0\tip6-mcastprefix',
      'ff02::1\tip6-allnodes',
      'ff02::2\tip6-allrouters',
      '127.0.1.1\tw1.novalocal w1',
      '',
    ]);
  });
  it('without a domain, the short name once', () => {
    expect(hostsFileContent({ hostname: 'w1', domainname: null, fqdn: 'w1' })).toContain('127.0.1.1\tw1\n');
  });
  it('is mounted writable over /etc/hosts', () => {
    expect(hostsFileMount('/var/lib/x/hosts')).toEqual({ source: '/var/lib/x/hosts', target: '/etc/hosts', readOnly: false });
  });
});
