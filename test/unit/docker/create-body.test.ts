import { describe, expect, it } from 'vitest';
import { resourceFields, toCreateBody } from '../../../src/docker/create-body.js';
import type { ContainerCreateSpec } from '../../../src/docker/docker-engine.js';

const base: ContainerCreateSpec = {
  name: 'nova-x',
  image: 'sha256:abc',
  cmd: null,
  env: ['A=1'],
  labels: { l: 'v' },
  hostname: null,
  domainname: null,
  resources: {},
  networkMode: 'bridge',
  dns: [],
  capAdd: [],
  privileged: false,
  publishAllPorts: false,
  ports: [],
  mounts: [],
  ulimits: [],
  init: false,
};

describe('resourceFields', () => {
  it.each([
    [{}, {}],
    [{ nanoCpus: 5e8 }, { NanoCpus: 5e8 }],
    [{ cpuQuotaUs: 200000, cpuPeriodUs: 100000 }, { CpuQuota: 200000, CpuPeriod: 100000 }],
    [{ cpuShares: 2048 }, { CpuShares: 2048 }],
    [{ memoryBytes: 1, memorySwapBytes: 2 }, { Memory: 1, MemorySwap: 2 }],
  ])('%j → %j', (r, fields) => {
    expect(resourceFields(r)).toEqual(fields);
  });
});

describe('toCreateBody', () => {
  it('minimal spec: everything in HostConfig, no TTY, no Cmd override', () => {
    expect(toCreateBody(base)).toEqual({
      Image: 'sha256:abc',
      Env: ['A=1'],
      Labels: { l: 'v' },
      HostConfig: { NetworkMode: 'bridge', Privileged: false, PublishAllPorts: false, Init: false },
      Tty: false,
      OpenStdin: false,
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
    });
  });

  it('full spec', () => {
    const body = toCreateBody({
      ...base,
      cmd: ['sleep', '1'],
      hostname: 'h',
      domainname: 'd.example',
      resources: { nanoCpus: 1e9, memoryBytes: 64, memorySwapBytes: 64 },
      dns: ['10.0.0.2'],
      capAdd: ['SYS_ADMIN'],
      privileged: true,
      publishAllPorts: true,
      ports: [
        { containerPort: 22, protocol: 'tcp', hostPort: null, hostIp: null },
        { containerPort: 53, protocol: 'udp', hostPort: 5353, hostIp: '127.0.0.1' },
        { containerPort: 53, protocol: 'udp', hostPort: 5354, hostIp: null },
      ],
      mounts: [{ source: '/s/hosts', target: '/etc/hosts', readOnly: false }],
      ulimits: [{ name: 'nofile', soft: 1, hard: 2 }],
      init: true,
    });
    expect(body).toMatchObject({
      Cmd: ['sleep', '1'],
      Hostname: 'h',
      Domainname: 'd.example',
      ExposedPorts: { '22/tcp': {}, '53/udp': {} },
      HostConfig: {
        NanoCpus: 1e9,
        Memory: 64,
        MemorySwap: 64,
        Dns: ['10.0.0.2'],
        CapAdd: ['SYS_ADMIN'],
        Privileged: true,
        PublishAllPorts: true,
        Init: true,
        PortBindings: {
          '22/tcp': [{ HostIp: '', HostPort: '' }],
          '53/udp': [
            { HostIp: '127.0.0.1', HostPort: '5353' },
            { HostIp: '', HostPort: '5354' },
          ],
        },
        Mounts: [{ Type: 'bind', Source: '/s/hosts', Target: '/etc/hosts', ReadOnly: false }],
        Ulimits: [{ Name: 'nofile', Soft: 1, Hard: 2 }],
      },
    });
  });

  it('an empty command list is kept (it clears the image CMD), null keeps the image\'s', () => {
    expect(toCreateBody({ ...base, cmd: [] }).Cmd).toEqual([]);
    expect('Cmd' in toCreateBody(base)).toBe(false);
  });
});
