import { describe, expect, it } from 'vitest';
import { parseContainer, parseContainerSummary, parseImage, parseInfo, parseVersion } from '../../../src/docker/parse-engine-json.js';

describe('parse Engine JSON', () => {
  it('container inspect: state, limits from HostConfig, bind mounts, zero times as null', () => {
    const c = parseContainer({
      Id: 'abc',
      Name: '/nova-x',
      Image: 'sha256:i',
      State: { Status: 'exited', Running: false, Paused: false, ExitCode: 3, Pid: 0, OOMKilled: true, Error: '', StartedAt: '2024-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z' },
      Config: { Hostname: 'h', Domainname: 'd', Labels: { a: 'b', bad: 1 }, Env: ['A=1'], Cmd: ['sleep', '1'] },
      HostConfig: { NanoCpus: 1e9, Memory: 64, MemorySwap: 128, CpuShares: 0 },
      Mounts: [
        { Type: 'bind', Source: '/s', Destination: '/etc/hosts', RW: true },
        { Type: 'volume', Source: '/v', Destination: '/data', RW: true },
      ],
    });
    expect(c).toEqual({
      id: 'abc',
      name: 'nova-x',
      image: 'sha256:i',
      labels: { a: 'b' },
      state: { status: 'exited', running: false, paused: false, exitCode: 3, pid: 0, oomKilled: true, error: '', startedAt: '2024-01-01T00:00:00Z', finishedAt: null },
      hostname: 'h',
      domainname: 'd',
      resources: { nanoCpus: 1e9, cpuQuotaUs: 0, cpuPeriodUs: 0, cpuShares: 0, memoryBytes: 64, memorySwapBytes: 128 },
      mounts: [{ source: '/s', target: '/etc/hosts', readOnly: false }],
      env: ['A=1'],
      cmd: ['sleep', '1'],
    });
  });

  it('tolerates a nearly empty answer', () => {
    const c = parseContainer({});
    expect(c.state.status).toBe('');
    expect(c.resources.memoryBytes).toBe(0);
    expect(c.cmd).toBeNull();
  });

  it('summary, image, version, info', () => {
    expect(parseContainerSummary({ Id: 'i', Names: ['/n'], Labels: { a: 'b' }, State: 'running' })).toEqual({ id: 'i', name: 'n', labels: { a: 'b' }, status: 'running' });
    expect(parseImage({ Id: 'sha256:x', RepoTags: ['a:1'], Config: { Cmd: null, Entrypoint: ['e'] }, Size: 5 })).toMatchObject({ id: 'sha256:x', repoTags: ['a:1'], cmd: null, entrypoint: ['e'], sizeBytes: 5 });
    expect(parseVersion({ Version: '20.10.24', ApiVersion: '1.41', MinAPIVersion: '1.12', Os: 'linux', Arch: 'amd64' })).toEqual({
      version: '20.10.24',
      apiVersion: '1.41',
      minApiVersion: '1.12',
      os: 'linux',
      arch: 'amd64',
      kernelVersion: null,
    });
    expect(parseInfo({ NCPU: 4, MemTotal: 8, Architecture: 'aarch64' })).toMatchObject({ ncpu: 4, memTotalBytes: 8, dockerRootDir: '/var/lib/docker', architecture: 'aarch64' });
  });
});
