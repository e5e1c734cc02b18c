/**
 * Docker JSON → our port types. Tolerant of missing fields (older Engines omit
 * some); never trusts a field's type without checking.
 */
import type { BindMount, ContainerDetails, ContainerSummary, EngineInfo, EngineVersion, ImageDetails, ImageSummary } from './docker-engine.js';

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}
function str(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : fallback;
}
function num(v: unknown, fallback = 0): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}
function strList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
function strListOrNull(v: unknown): string[] | null {
  return Array.isArray(v) ? strList(v) : null;
}
function labels(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj(v))) if (typeof val === 'string') out[k] = val;
  return out;
}
/** Docker's zero time means "never". */
function time(v: unknown): string | null {
  const s = str(v);
  return s === '' || s.startsWith('0001-01-01') ? null : s;
}

export function parseVersion(v: unknown): EngineVersion {
  const j = obj(v);
  return {
    version: str(j.Version),
    apiVersion: str(j.ApiVersion),
    minApiVersion: typeof j.MinAPIVersion === 'string' ? j.MinAPIVersion : null,
    os: str(j.Os),
    arch: str(j.Arch),
    kernelVersion: typeof j.KernelVersion === 'string' ? j.KernelVersion : null,
  };
}

export function parseInfo(v: unknown): EngineInfo {
  const j = obj(v);
  return {
    name: str(j.Name),
    ncpu: num(j.NCPU),
    memTotalBytes: num(j.MemTotal),
    dockerRootDir: str(j.DockerRootDir, '/var/lib/docker'),
    architecture: str(j.Architecture),
    operatingSystem: str(j.OperatingSystem),
    serverVersion: str(j.ServerVersion),
    kernelVersion: str(j.KernelVersion),
  };
}

export function parseContainer(v: unknown): ContainerDetails {
  const j = obj(v);
  const state = obj(j.State);
  const config = obj(j.Config);
  const hc = obj(j.HostConfig);
  const mounts: BindMount[] = [];
  for (const m of Array.isArray(j.Mounts) ? j.Mounts : []) {
    const mo = obj(m);
    if (str(mo.Type) === 'bind') mounts.push({ source: str(mo.Source), target: str(mo.Destination), readOnly: mo.RW === false });
  }
  return {
    id: str(j.Id),
    name: str(j.Name).replace(/^\//, ''),
    image: str(j.Image),
    labels: labels(config.Labels),
    state: {
      status: str(state.Status),
      running: state.Running === true,
      paused: state.Paused === true,
      exitCode: num(state.ExitCode),
      pid: num(state.Pid),
      oomKilled: state.OOMKilled === true,
      error: str(state.Error),
      startedAt: time(state.StartedAt),
      finishedAt: time(state.FinishedAt),
    },
    hostname: str(config.Hostname),
    domainname: str(config.Domainname),
    resources: {
      nanoCpus: num(hc.NanoCpus),
      cpuQuotaUs: num(hc.CpuQuota),
      cpuPeriodUs: num(hc.CpuPeriod),
      cpuShares: num(hc.CpuShares),
      memoryBytes: num(hc.Memory),
      memorySwapBytes: num(hc.MemorySwap),
    },
    mounts,
    env: strList(config.Env),
    cmd: strListOrNull(config.Cmd),
  };
}

export function parseContainerSummary(v: unknown): ContainerSummary {
  const j = obj(v);
  const names = strList(j.Names);
  return {
    id: str(j.Id),
    name: (names[0] ?? '').replace(/^\//, ''),
    labels: labels(j.Labels),
    status: str(j.State),
  };
}

export function parseImage(v: unknown): ImageDetails {
  const j = obj(v);
  const config = obj(j.Config);
  return {
    id: str(j.Id),
    repoTags: strList(j.RepoTags),
    repoDigests: strList(j.RepoDigests),
    architecture: str(j.Architecture),
    os: str(j.Os),
    cmd: strListOrNull(config.Cmd),
    entrypoint: strListOrNull(config.Entrypoint),
    labels: labels(config.Labels),
    sizeBytes: num(j.Size),
  };
}

export function parseImageSummary(v: unknown): ImageSummary {
  const j = obj(v);
  return { id: str(j.Id), repoTags: strList(j.RepoTags).filter((t) => t !== '<none>:<none>'), repoDigests: strList(j.RepoDigests), labels: labels(j.Labels) };
}
