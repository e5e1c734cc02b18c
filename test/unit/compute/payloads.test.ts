import { describe, expect, it } from 'vitest';
import {
  LIMITS,
  parseAvailableResourceArgs,
  parseInitHostArgs,
  parseInstanceArgs,
  parseLiveResizeArgs,
  parseNetworkInfo,
  parseSnapshotArgs,
  parseNoArgs,
  parsePowerOffArgs,
  parseRebootArgs,
  parseSpawnArgs,
} from '../../../src/compute/payloads.js';
import { isBridgeError } from '../../../src/errors/bridge-error.js';

const UUID = '0b6c2d5e-1111-4e2b-8c55-3a2d1c0e9f00';

function spawn(over: Record<string, unknown> = {}, instance: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    instance: { uuid: UUID, hostname: 'vm1', flavor: { vcpus: 1, memory_mb: 64, root_gb: 1, extra_specs: {} }, ...instance },
    image_meta: { id: 'img', name: 'busybox', container_format: 'docker', properties: {} },
    ...over,
  };
}

/** Runs `fn`, expecting ERR_INVALID_ARGUMENT; returns the message. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isBridgeError(err, 'ERR_INVALID_ARGUMENT')) return err.message;
    throw err;
  }
  throw new Error('expected ERR_INVALID_ARGUMENT, but it was accepted');
}

describe('parseSpawnArgs: accepts Nova\'s projection and normalizes it', () => {
  it('fills defaults for optional fields', () => {
    const a = parseSpawnArgs(spawn());
    expect(a).toEqual({
      instance: {
        uuid: UUID,
        name: null,
        hostname: 'vm1',
        display_name: null,
        project_id: null,
        user_id: null,
        flavor: { vcpus: 1, memory_mb: 64, root_gb: 1, ephemeral_gb: 0, swap: 0, extra_specs: {}, name: null },
        metadata: {},
        key_data: null,
        user_data: null,
        system_metadata: {},
      },
      image_meta: { id: 'img', name: 'busybox', container_format: 'docker', disk_format: null, properties: {} },
      injected_files: [],
      admin_password: null,
      network_info: [],
      power_on: true,
    });
  });

  it('lower-cases the UUID, decodes injected files, reads network_info, ignores unused kwargs', () => {
    const a = parseSpawnArgs(
      spawn(
        {
          injected_files: [['/etc/motd', Buffer.from('hi').toString('base64')]],
          network_info: [{ id: 'v', address: 'fa:16:3e:00:00:01', network: { subnets: [{ cidr: '10.0.0.0/24', dns: [{ address: '10.0.0.2' }], ips: [{ address: '10.0.0.5', floating_ips: [] }] }] } }],
          admin_password: 'pw',
          power_on: false,
          block_device_info: { root_device_name: '/dev/sda' },
          allocations: { rp: {} },
          accel_info: [],
          some_future_kwarg: 1,
        },
        { uuid: UUID.toUpperCase(), key_data: 'ssh-rsa AAA x\n', user_data: 'IyEvYmluL3NoCg==', system_metadata: { image_os_command_line: 'sleep 1', image_x: null } },
      ),
    );
    expect(a.instance.uuid).toBe(UUID);
    expect(a.injected_files).toEqual([{ path: '/etc/motd', content: Buffer.from('hi') }]);
    expect(a.network_info).toEqual([
      { id: 'v', address: 'fa:16:3e:00:00:01', type: null, devname: null, bridge: null, mtu: null, subnets: [{ cidr: '10.0.0.0/24', dns: ['10.0.0.2'], ips: ['10.0.0.5'], gateway: null, routes: [] }] },
    ]);
    expect(a.admin_password).toBe('pw');
    expect(a.power_on).toBe(false);
    expect(a.instance.key_data).toBe('ssh-rsa AAA x\n');
    expect(a.instance.system_metadata).toEqual({ image_os_command_line: 'sleep 1', image_x: null });
  });

  it('treats blank key_data and an empty admin_password as absent', () => {
    const a = parseSpawnArgs(spawn({ admin_password: '' }, { key_data: '  \n' }));
    expect(a.instance.key_data).toBeNull();
    expect(a.admin_password).toBeNull();
  });
});

describe('parseSpawnArgs: refusals name the field', () => {
  const K = 'x'.repeat(256);
  const table: Array<[string, Record<string, unknown>, RegExp]> = [
    ['arguments not an object', { __replace: [] }, /^arguments must be an object/],
    ['instance missing', { instance: undefined }, /^instance must be an object, got nothing/],
    ['uuid missing', { instance: { flavor: {} } }, /^instance\.uuid must be a string, got nothing/],
    ['uuid malformed', { instance: { uuid: 'abc' } }, /^instance\.uuid must be a UUID/],
    ['flavor missing', { instance: { uuid: UUID } }, /^instance\.flavor is required to spawn/],
    ['vcpus zero', { instance: { uuid: UUID, flavor: { vcpus: 0, memory_mb: 64 } } }, /^instance\.flavor\.vcpus must be >= 1, got 0/],
    ['vcpus float', { instance: { uuid: UUID, flavor: { vcpus: 1.5, memory_mb: 64 } } }, /^instance\.flavor\.vcpus must be an integer, got number 1\.5/],
    ['memory string', { instance: { uuid: UUID, flavor: { vcpus: 1, memory_mb: '64' } } }, /^instance\.flavor\.memory_mb must be an integer, got "64"/],
    ['root_gb negative', { instance: { uuid: UUID, flavor: { vcpus: 1, memory_mb: 64, root_gb: -1 } } }, /^instance\.flavor\.root_gb must be >= 0/],
    ['extra spec not a string', { instance: { uuid: UUID, flavor: { vcpus: 1, memory_mb: 64, extra_specs: { a: 1 } } } }, /^instance\.flavor\.extra_specs\["a"\] must be a string, got number 1/],
    ['hostname with underscore', { instance: { uuid: UUID, hostname: 'a_b', flavor: { vcpus: 1, memory_mb: 64 } } }, /^instance\.hostname must be an RFC 1123 host name/],
    ['hostname label too long', { instance: { uuid: UUID, hostname: 'a'.repeat(64), flavor: { vcpus: 1, memory_mb: 64 } } }, /^instance\.hostname must be an RFC 1123/],
    ['metadata value not a string', { instance: { uuid: UUID, flavor: { vcpus: 1, memory_mb: 64 }, metadata: { a: ['x'] } } }, /^instance\.metadata\["a"\] must be a string, got an array of 1/],
    ['metadata key too long', { instance: { uuid: UUID, flavor: { vcpus: 1, memory_mb: 64 }, metadata: { [K]: 'v' } } }, /^instance\.metadata key "x{40}" must have at most 255 characters/],
    ['metadata too many', { instance: { uuid: UUID, flavor: { vcpus: 1, memory_mb: 64 }, metadata: Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, 'v'])) } }, /^instance\.metadata must have at most 128 entries/],
    ['metadata value too long', { instance: { uuid: UUID, flavor: { vcpus: 1, memory_mb: 64 }, metadata: { a: 'v'.repeat(LIMITS.metadataValue + 1) } } }, /^instance\.metadata\["a"\] must have at most 4096 characters/],
    ['key_data with control characters', { instance: { uuid: UUID, flavor: { vcpus: 1, memory_mb: 64 }, key_data: 'ssh-rsa \u0001' } }, /^instance\.key_data must contain only printable characters/],
    ['user_data not base64', { instance: { uuid: UUID, flavor: { vcpus: 1, memory_mb: 64 }, user_data: '#!/bin/sh' } }, /^instance\.user_data must be base64 text/],
    ['image_meta missing', { image_meta: null }, /^image_meta must be an object, got null/],
    ['image properties not an object', { image_meta: { properties: [] } }, /^image_meta\.properties must be an object/],
    ['image id with a slash', { image_meta: { id: '../x' } }, /^image_meta\.id must be a Glance image ID/],
    ['injected_files not an array', { injected_files: {} }, /^injected_files must be an array, got an object/],
    ['injected file not a pair', { injected_files: [['/a']] }, /^injected_files\[0\] must be a \[path, base64 content\] pair, got 1 items/],
    ['injected file relative', { injected_files: [['etc/x', '']] }, /^injected_files\[0\]\[0\] must be an absolute path/],
    ['injected file with ..', { injected_files: [['/etc/../x', '']] }, /^injected_files\[0\]\[0\] must be a normalized path/],
    ['injected file trailing slash', { injected_files: [['/etc/x/', '']] }, /^injected_files\[0\]\[0\] must be a normalized path/],
    ['injected content not base64', { injected_files: [['/etc/x', 'not base64!']] }, /^injected_files\[0\]\[1\] must be base64 text/],
    ['too many injected files', { injected_files: Array.from({ length: 65 }, (_, i) => [`/f${i}`, '']) }, /^injected_files must have at most 64 items/],
    ['admin_password with newline', { admin_password: 'a\nb' }, /^admin_password must not contain control characters/],
    ['admin_password too long', { admin_password: 'x'.repeat(256) }, /^admin_password must have at most 255 characters/],
    ['power_on string', { power_on: 'true' }, /^power_on must be true or false, got "true"/],
    ['network_info not an array', { network_info: 'x' }, /^network_info must be an array/],
    ['vif not an object', { network_info: [1] }, /^network_info\[0\] must be an object/],
    ['subnets not an array', { network_info: [{ network: { subnets: {} } }] }, /^network_info\[0\]\.network\.subnets must be an array/],
    ['dns not an IP', { network_info: [{ network: { subnets: [{ dns: [{ address: '8.8.8' }] }] } }] }, /^network_info\[0\]\.network\.subnets\[0\]\.dns\[0\]\.address must be an IP address, got "8\.8\.8"/],
    ['fixed ip missing address', { network_info: [{ network: { subnets: [{ ips: [{}] }] } }] }, /^network_info\[0\]\.network\.subnets\[0\]\.ips\[0\]\.address must be a string/],
  ];
  it.each(table)('%s', (_name, over, message) => {
    const p = '__replace' in over ? over.__replace : { ...spawn(), ...over };
    expect(refusal(() => parseSpawnArgs(p))).toMatch(message);
  });

  it('bounds decoded injected content', () => {
    const big = Buffer.alloc(LIMITS.injectedFileBytes + 1).toString('base64');
    expect(refusal(() => parseSpawnArgs(spawn({ injected_files: [['/big', big]] })))).toMatch(/must (decode to|have) at most/);
  });

  it('errors carry the field in details', () => {
    try {
      parseSpawnArgs(spawn({ power_on: 1 }));
    } catch (err) {
      expect(isBridgeError(err) && err.details.field).toBe('power_on');
      return;
    }
    throw new Error('accepted');
  });
});

describe('other methods', () => {
  it('instance-only methods need a valid uuid and nothing else', () => {
    expect(parseInstanceArgs({ instance: { uuid: UUID }, network_info: 'ignored' }).instance.uuid).toBe(UUID);
    expect(refusal(() => parseInstanceArgs({}))).toMatch(/^instance must be an object/);
    expect(refusal(() => parseInstanceArgs({ instance: { uuid: 42 } }))).toMatch(/^instance\.uuid must be a string, got number 42/);
  });

  it.each([
    [{ reboot_type: 'SOFT' }, 'SOFT'],
    [{ reboot_type: 'HARD' }, 'HARD'],
  ])('reboot %j', (a, t) => {
    expect(parseRebootArgs({ instance: { uuid: UUID }, ...a }).reboot_type).toBe(t);
  });
  it.each([[{ reboot_type: 'soft' }], [{}], [{ reboot_type: 1 }]])('reboot refuses %j', (a) => {
    expect(refusal(() => parseRebootArgs({ instance: { uuid: UUID }, ...a }))).toMatch(/^reboot_type must be/);
  });

  it.each([
    [{}, { timeout: 0, retry_interval: 0 }],
    [{ timeout: 60, retry_interval: 10 }, { timeout: 60, retry_interval: 10 }],
    [{ timeout: null }, { timeout: 0, retry_interval: 0 }],
  ])('power_off %j', (a, want) => {
    expect(parsePowerOffArgs({ instance: { uuid: UUID }, ...a })).toMatchObject(want);
  });
  it('power_off refuses a negative timeout', () => {
    expect(refusal(() => parsePowerOffArgs({ instance: { uuid: UUID }, timeout: -1 }))).toMatch(/^timeout must be >= 0/);
  });

  it.each([
    [{ image_id: 'A1B2C3D4-1111-4e2b-8c55-3a2d1c0e9f00' }, 'a1b2c3d4-1111-4e2b-8c55-3a2d1c0e9f00'],
    [{ image_id: 'img-1', update_task_state: 'ignored' }, 'img-1'],
  ])('snapshot %j', (a, id) => {
    expect(parseSnapshotArgs({ instance: { uuid: UUID }, ...a })).toMatchObject({ instance: { uuid: UUID }, image_id: id });
  });
  it.each([
    [{}, /^image_id must be a string/],
    [{ image_id: '' }, /^image_id must be a Glance image ID/],
    [{ image_id: '../x' }, /^image_id must be a Glance image ID/],
    [{ image_id: 'a/b' }, /^image_id must be a Glance image ID/],
  ])('snapshot refuses %j', (a, message) => {
    expect(refusal(() => parseSnapshotArgs({ instance: { uuid: UUID }, ...a }))).toMatch(message);
  });

  it('live_resize needs the new flavor', () => {
    expect(parseLiveResizeArgs({ instance: { uuid: UUID }, flavor: { vcpus: 2, memory_mb: 128 } }).flavor.vcpus).toBe(2);
    expect(refusal(() => parseLiveResizeArgs({ instance: { uuid: UUID } }))).toMatch(/^flavor must be an object/);
  });

  it('init_host needs the host; get_available_resource takes an optional nodename; no-arg methods take an object', () => {
    expect(parseInitHostArgs({ host: 'cmp1' })).toEqual({ host: 'cmp1' });
    expect(refusal(() => parseInitHostArgs({ host: '' }))).toMatch(/^host must not be empty/);
    expect(parseAvailableResourceArgs({ nodename: 'cmp1' })).toEqual({ nodename: 'cmp1' });
    expect(parseAvailableResourceArgs({})).toEqual({ nodename: null });
    expect(parseNoArgs({})).toEqual({});
    expect(refusal(() => parseNoArgs(null))).toMatch(/^arguments must be an object/);
  });
});

describe('network_info: a Linux-bridge VIF as Nova serializes it', () => {
  const vif = {
    id: '3f0b8c2a-51d3-4a8e-9d0c-2b1e5f6a7c8d',
    address: 'fa:16:3e:12:34:56',
    type: 'bridge',
    devname: 'tap3f0b8c2a-51',
    ovs_interfaceid: null,
    details: { port_filter: true, connectivity: 'l2' },
    network: {
      id: 'net-1',
      bridge: 'brq5d7e1f2a-3b',
      label: 'private',
      meta: { injected: false, tenant_id: 't', mtu: 1450, tunneled: true },
      subnets: [
        {
          cidr: '10.0.0.0/24',
          version: 4,
          dns: [{ address: '10.0.0.2', type: 'dns', version: 4, meta: {} }],
          gateway: { address: '10.0.0.1', type: 'gateway', version: 4, meta: {} },
          ips: [{ address: '10.0.0.5', type: 'fixed', version: 4, meta: {}, floating_ips: [] }],
          routes: [{ cidr: '192.168.0.0/16', gateway: { address: '10.0.0.254', type: 'gateway', version: 4, meta: {} }, interface: null, meta: {} }],
          meta: { enable_dhcp: true },
        },
        { cidr: '2001:db8::/64', version: 6, dns: [], gateway: { address: null, type: 'gateway', version: 6, meta: {} }, ips: [{ address: '2001:db8::5' }], routes: [] },
      ],
    },
  };
  it('keeps type, devname, bridge, MTU, gateways and host routes', () => {
    expect(parseNetworkInfo([vif])).toEqual([
      {
        id: vif.id,
        address: 'fa:16:3e:12:34:56',
        type: 'bridge',
        devname: 'tap3f0b8c2a-51',
        bridge: 'brq5d7e1f2a-3b',
        mtu: 1450,
        subnets: [
          { cidr: '10.0.0.0/24', dns: ['10.0.0.2'], ips: ['10.0.0.5'], gateway: '10.0.0.1', routes: [{ cidr: '192.168.0.0/16', gateway: '10.0.0.254' }] },
          { cidr: '2001:db8::/64', dns: [], ips: ['2001:db8::5'], gateway: null, routes: [] },
        ],
      },
    ]);
  });
  it.each([
    [{ ...vif, network: { ...vif.network, meta: { mtu: 20 } } }, /network_info\[0\]\.network\.meta\.mtu must be >= 68/],
    [{ ...vif, network: { ...vif.network, subnets: [{ ...vif.network.subnets[0], gateway: { address: 'not-an-ip' } }] } }, /subnets\[0\]\.gateway\.address must be an IP address/],
    [{ ...vif, network: { ...vif.network, subnets: [{ ...vif.network.subnets[0], routes: [{ cidr: '1.0.0.0/8' }] }] } }, /routes\[0\]\.gateway/],
  ])('refuses a malformed VIF (%#)', (bad, message) => {
    expect(() => parseNetworkInfo([bad])).toThrow(message);
  });
});
