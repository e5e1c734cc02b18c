import { describe, expect, it } from 'vitest';
import { parseSpawnArgs } from '../../../../src/compute/payloads.js';
import { buildCreatePlan, type ContainerSettings } from '../../../../src/compute/translate/create-spec.js';
import { LABEL_INSTANCE_UUID, LABEL_MANAGED_BY } from '../../../../src/compute/translate/labels.js';
import { baseSettings } from '../../../helpers/driver-settings.js';

const UUID = '0b6c2d5e-1111-4e2b-8c55-3a2d1c0e9f00';
const MIB = 1024 * 1024;

const settings: ContainerSettings = {
  ...baseSettings('cmp1', '/nonexistent'),
  capAdd: ['SYS_ADMIN'],
  ulimits: [{ name: 'nofile', soft: 65536, hard: 65536 }],
};

function payload(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    instance: {
      uuid: UUID,
      name: 'instance-0000000e',
      hostname: 'cdh-worker-1',
      flavor: { vcpus: 2, memory_mb: 2048, root_gb: 20, ephemeral_gb: 40, swap: 512, extra_specs: { 'docker:privileged': 'true' }, name: 'm1.medium' },
      metadata: { role: 'worker', PATH: '/evil' },
      system_metadata: {},
    },
    image_meta: { id: 'img-1', name: 'cdh:5.13', container_format: 'docker', properties: { os_command_line: '/usr/sbin/sshd -D' } },
    network_info: [{ network: { subnets: [{ dns: [{ address: '10.0.0.2' }] }] } }],
    ...over,
  };
}

describe('buildCreatePlan', () => {
  it('composes every fragment into one create spec', () => {
    const plan = buildCreatePlan(parseSpawnArgs(payload()), settings, { image: 'sha256:img', hostCpus: 8, hostsFilePath: `/state/${UUID}/hosts`, ephemeralDirPath: `/state/${UUID}/ephemeral` });
    expect(plan.spec).toEqual({
      name: `nova-${UUID}`,
      image: 'sha256:img',
      cmd: ['/usr/sbin/sshd', '-D'],
      env: ['role=worker'],
      labels: {
        [LABEL_MANAGED_BY]: 'cmp1',
        [LABEL_INSTANCE_UUID]: UUID,
        'org.openstack.nova.instance-name': 'instance-0000000e',
        'org.openstack.nova.flavor-name': 'm1.medium',
        'org.openstack.nova.flavor-root-gb': '20',
        'org.openstack.nova.flavor-ephemeral-gb': '40',
        'org.openstack.glance.image-id': 'img-1',
        'org.openstack.nova-docker-bridge.snapshot-image': '',
      },
      hostname: 'cdh-worker-1',
      domainname: 'novalocal',
      resources: { nanoCpus: 2e9, memoryBytes: 2048 * MIB, memorySwapBytes: 2560 * MIB },
      networkMode: 'bridge',
      dns: ['10.0.0.2'],
      capAdd: ['SYS_ADMIN'],
      // docker:privileged is in the flavor but not whitelisted.
      privileged: false,
      publishAllPorts: false,
      ports: [],
      mounts: [
        { source: `/state/${UUID}/hosts`, target: '/etc/hosts', readOnly: false },
        { source: `/state/${UUID}/ephemeral`, target: '/mnt', readOnly: false },
      ],
      ulimits: [{ name: 'nofile', soft: 65536, hard: 65536 }],
      init: true,
    });
    expect(plan.identity.fqdn).toBe('cdh-worker-1.novalocal');
    expect(plan.ephemeralDir).toBe(true);
    expect(plan.notes).toEqual(['metadata key "PATH" not exported: PATH is reserved']);
  });

  it('follows the settings: quota CPUs, no swap, no hosts file, no env, host network', () => {
    const plan = buildCreatePlan(
      parseSpawnArgs(payload()),
      { ...settings, cpuLimitMode: 'quota', swapFromFlavor: false, manageHostsFile: false, metadataToEnv: false, networkMode: 'host', capAdd: [], allowedFlavorExtraSpecs: ['docker:privileged'] },
      { image: 'sha256:img', hostCpus: 8, hostsFilePath: '/unused', ephemeralDirPath: '/unused-e' },
    );
    expect(plan.spec.resources).toEqual({ cpuPeriodUs: 100000, cpuQuotaUs: 200000, memoryBytes: 2048 * MIB, memorySwapBytes: 2048 * MIB });
    expect(plan.spec.mounts).toEqual([{ source: '/unused-e', target: '/mnt', readOnly: false }]);
    expect(plan.spec.env).toEqual([]);
    expect(plan.spec.networkMode).toBe('host');
    expect(plan.spec.dns).toEqual([]);
    expect(plan.spec.privileged).toBe(true);
    expect(plan.notes).toEqual(['ignored: DNS servers from network_info (network_mode host)']);
  });

  it('mounts the ephemeral directory where the operator says, or not at all (with a note)', () => {
    const ctx = { image: 'i', hostCpus: 1, hostsFilePath: '/h', ephemeralDirPath: '/e' };
    const elsewhere = buildCreatePlan(parseSpawnArgs(payload()), { ...settings, manageHostsFile: false, ephemeralMountPoint: '/data' }, ctx);
    expect(elsewhere.spec.mounts).toEqual([{ source: '/e', target: '/data', readOnly: false }]);
    const off = buildCreatePlan(parseSpawnArgs(payload()), { ...settings, manageHostsFile: false, ephemeralMountPoint: null }, ctx);
    expect(off.spec.mounts).toEqual([]);
    expect(off.ephemeralDir).toBe(false);
    expect(off.notes[0]).toMatch(/ephemeral disk \(40 GB\) not mounted/);
    const p = payload();
    (p.instance as { flavor: Record<string, unknown> }).flavor.ephemeral_gb = 0;
    const none = buildCreatePlan(parseSpawnArgs(p), settings, ctx);
    expect(none.spec.mounts).toEqual([{ source: '/h', target: '/etc/hosts', readOnly: false }]);
    expect(none.ephemeralDir).toBe(false);
    expect(none.spec.labels['org.openstack.nova.flavor-ephemeral-gb']).toBe('0');
  });

  it('keeps the image CMD when there is no os_command_line', () => {
    const p = payload();
    (p.image_meta as Record<string, unknown>).properties = {};
    expect(buildCreatePlan(parseSpawnArgs(p), settings, { image: 'i', hostCpus: 1, hostsFilePath: '/h', ephemeralDirPath: '/e' }).spec.cmd).toBeNull();
  });

  it('is deterministic', () => {
    const a = buildCreatePlan(parseSpawnArgs(payload()), settings, { image: 'i', hostCpus: 2, hostsFilePath: '/h', ephemeralDirPath: '/e' });
    const b = buildCreatePlan(parseSpawnArgs(payload()), settings, { image: 'i', hostCpus: 2, hostsFilePath: '/h', ephemeralDirPath: '/e' });
    expect(a).toEqual(b);
  });
});
