import { describe, expect, it } from 'vitest';
import { dockerConnectionFromConfig, driverSettingsFromConfig } from '../../../src/compute/driver-settings.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { isBridgeError } from '../../../src/errors/bridge-error.js';

const load = (overrides: Record<string, Record<string, string>>): ReturnType<typeof loadConfig> => loadConfig([], { overrides });

describe('[docker] and [compute] options → driver settings', () => {
  it('defaults: local socket, NanoCpus, bridge, no extra privileges, Nova-like injection defaults', () => {
    const c = load({ DEFAULT: { host: 'cmp1' } });
    expect(dockerConnectionFromConfig(c)).toEqual({ hostUrl: 'unix:///var/run/docker.sock', caFile: null, certFile: null, keyFile: null, apiTimeoutMs: 60_000 });
    expect(driverSettingsFromConfig(c)).toMatchObject({
      host: 'cmp1',
      cpuLimitMode: 'nano_cpus',
      networkMode: 'bridge',
      dhcpDomain: 'novalocal',
      capAdd: [],
      privileged: false,
      allowedFlavorExtraSpecs: [],
      publishAllPorts: false,
      publishedPorts: [],
      ulimits: [],
      init: true,
      manageHostsFile: true,
      ephemeralMountPoint: '/mnt',
      injectKey: true,
      keyInjectionUser: 'root',
      injectPassword: false,
      allowedContainerFormats: ['docker'],
      maxConcurrentOperations: 10,
      engineIsLocal: true,
    });
  });

  it('parses lists into structured settings', () => {
    const c = load({
      DEFAULT: { host: 'cmp1' },
      docker: { host_url: 'tcp://10.0.0.9:2376', ca_file: '/etc/ndb/ca.pem', cert_file: '/etc/ndb/cert.pem', key_file: '/etc/ndb/key.pem', api_timeout: '30' },
      compute: {
        cap_add: 'cap_sys_admin, SYS_RESOURCE',
        ulimits: 'nofile=65536:65536,nproc=32768',
        published_ports: '22,127.0.0.1:7180:7180/tcp',
        allowed_flavor_extra_specs: 'docker:cap_add',
        cpu_limit_mode: 'quota',
        network_mode: 'none',
        dhcp_domain: '',
        ephemeral_mount_point: '',
      },
    });
    const s = driverSettingsFromConfig(c);
    expect(s.capAdd).toEqual(['SYS_ADMIN', 'SYS_RESOURCE']);
    expect(s.ulimits).toEqual([
      { name: 'nofile', soft: 65536, hard: 65536 },
      { name: 'nproc', soft: 32768, hard: 32768 },
    ]);
    expect(s.publishedPorts).toEqual([
      { containerPort: 22, protocol: 'tcp', hostPort: null, hostIp: null },
      { containerPort: 7180, protocol: 'tcp', hostPort: 7180, hostIp: '127.0.0.1' },
    ]);
    expect(s).toMatchObject({ allowedFlavorExtraSpecs: ['docker:cap_add'], cpuLimitMode: 'quota', networkMode: 'none', dhcpDomain: '', ephemeralMountPoint: null, engineIsLocal: false });
    expect(dockerConnectionFromConfig(c)).toEqual({ hostUrl: 'tcp://10.0.0.9:2376', caFile: '/etc/ndb/ca.pem', certFile: '/etc/ndb/cert.pem', keyFile: '/etc/ndb/key.pem', apiTimeoutMs: 30_000 });
  });

  it.each([
    [{ docker: { host_url: 'ssh://host' } }, /\[docker\] host_url = "ssh:\/\/host": unsupported scheme "ssh"/],
    [{ compute: { cap_add: 'SYS_ADMIN,ALL' } }, /\[compute\] cap_add = .*unknown Linux capability "ALL"/],
    [{ compute: { ulimits: 'nofile=10:5' } }, /\[compute\] ulimits = .*soft limit must not exceed the hard limit/],
    [{ compute: { published_ports: '80/icmp' } }, /\[compute\] published_ports = .*protocol must be tcp, udp or sctp/],
    [{ compute: { allowed_flavor_extra_specs: 'docker:volumes' } }, /unknown extra spec "docker:volumes"/],
    [{ compute: { cpu_limit_mode: 'cores' } }, /\[compute\] cpu_limit_mode = "cores": must be one of nano_cpus, quota, shares, none/],
    [{ compute: { state_dir: 'relative/dir' } }, /\[compute\] state_dir = "relative\/dir": must match an absolute path/],
    [{ compute: { dhcp_domain: 'bad_domain!' } }, /\[compute\] dhcp_domain/],
    [{ compute: { key_injection_user: 'Root User' } }, /\[compute\] key_injection_user/],
    [{ compute: { ephemeral_mount_point: '/etc/data' } }, /\[compute\] ephemeral_mount_point = "\/etc\/data": must not be \/etc or below it/],
    [{ compute: { ephemeral_mount_point: 'mnt' } }, /\[compute\] ephemeral_mount_point = "mnt": must be an absolute path or empty/],
  ])('refuses %j at load time, naming section and key', (overrides, message) => {
    let err: unknown;
    try {
      load(overrides as Record<string, Record<string, string>>);
    } catch (e) {
      err = e;
    }
    expect(isBridgeError(err, 'ERR_CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(message);
  });
});
