import { describe, expect, it } from 'vitest';
import { availableResources, localGbFromLabels, type ResourceInputs } from '../../../src/compute/host-resources.js';
import { formatHostUptime } from '../../../src/compute/host-uptime.js';

const GIB = 1024 ** 3;
const base: ResourceInputs = {
  host: 'cmp1',
  info: { name: 'vm', ncpu: 8, memTotalBytes: 16 * GIB + 123, dockerRootDir: '/var/lib/docker', architecture: 'x86_64', operatingSystem: 'Debian', serverVersion: '20.10.24+dfsg1', kernelVersion: '6' },
  version: { version: '20.10.24+dfsg1', apiVersion: '1.41', minApiVersion: '1.12', os: 'linux', arch: 'amd64', kernelVersion: '6' },
  disk: { totalBytes: 100 * GIB + 5, freeBytes: 40.7 * GIB },
  used: { vcpus: 3, memoryMb: 1536, localGb: 21 },
  cpuModel: 'Intel(R) Xeon(R) CPU X5670 @ 2.93GHz',
};

describe('availableResources', () => {
  it('reports host CPUs (not 1), memory, disk, used figures and hypervisor facts with Nova\'s keys', () => {
    const r = availableResources(base);
    expect(r).toEqual({
      vcpus: 8,
      memory_mb: 16384,
      local_gb: 100,
      vcpus_used: 3,
      memory_mb_used: 1536,
      local_gb_used: 21,
      hypervisor_type: 'docker',
      hypervisor_version: 20010024,
      hypervisor_hostname: 'cmp1',
      cpu_info: r.cpu_info,
      disk_available_least: 40,
      supported_instances: [['x86_64', 'docker', 'exe']],
      numa_topology: null,
    });
    expect(JSON.parse(r.cpu_info)).toEqual({ arch: 'x86_64', model: 'Intel(R) Xeon(R) CPU X5670 @ 2.93GHz', vendor: 'unknown', topology: { sockets: 1, cores: 8, threads: 1 }, features: [] });
  });

  it.each([
    ['aarch64', 'arm64', 'aarch64'],
    ['', 'arm64', 'aarch64'],
    ['ppc64le', 'ppc64le', 'ppc64le'],
  ])('architecture %j / %j → %s', (infoArch, goArch, nova) => {
    const r = availableResources({ ...base, info: { ...base.info, architecture: infoArch }, version: { ...base.version, arch: goArch } });
    expect(r.supported_instances).toEqual([[nova, 'docker', 'exe']]);
  });

  it('an unknown architecture gives no supported_instances rather than a wrong one', () => {
    const r = availableResources({ ...base, info: { ...base.info, architecture: 'vax' }, version: { ...base.version, arch: 'vax' } });
    expect(r.supported_instances).toEqual([]);
  });

  it('no disk figures (remote Engine) reports 0 GB', () => {
    const r = availableResources({ ...base, disk: null, cpuModel: null });
    expect(r.local_gb).toBe(0);
    expect(r.disk_available_least).toBe(0);
    expect(JSON.parse(r.cpu_info).model).toBe('unknown');
  });
});

describe('formatHostUptime', () => {
  const at = new Date(2024, 0, 2, 9, 5, 7);
  it.each([
    [59, [0, 0, 0], ' 09:05:07 up 0 min,  load average: 0.00, 0.00, 0.00'],
    [3 * 3600 + 4 * 60, [0.1, 0.25, 1], ' 09:05:07 up 3:04,  load average: 0.10, 0.25, 1.00'],
    [86400 + 60, [1.234, 0, 0], ' 09:05:07 up 1 day, 1 min,  load average: 1.23, 0.00, 0.00'],
    [2 * 86400 + 3 * 3600 + 4 * 60, [0, 0.01, 0.05], ' 09:05:07 up 2 days, 3:04,  load average: 0.00, 0.01, 0.05'],
  ])('%i s', (uptime, load, want) => {
    expect(formatHostUptime(at, uptime, load)).toBe(want);
  });
});

describe('localGbFromLabels', () => {
  it.each([
    [{ 'org.openstack.nova.flavor-root-gb': '10', 'org.openstack.nova.flavor-ephemeral-gb': '20' }, 30],
    [{ 'org.openstack.nova.flavor-root-gb': '10' }, 10],
    [{ 'org.openstack.nova.flavor-ephemeral-gb': '5' }, 5],
    [{ 'org.openstack.nova.flavor-root-gb': '', 'org.openstack.nova.flavor-ephemeral-gb': 'x' }, 0],
    [{ 'org.openstack.nova.flavor-root-gb': '-3', 'org.openstack.nova.flavor-ephemeral-gb': 'Infinity' }, 0],
    [{}, 0],
  ])('%j → %d GB', (labels, gb) => {
    expect(localGbFromLabels(labels)).toBe(gb);
  });
});
