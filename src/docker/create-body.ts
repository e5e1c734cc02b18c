/**
 * ContainerCreateSpec (our types) → the JSON body of POST /containers/create.
 * Everything goes into HostConfig at create time: since API 1.24 nothing may be
 * passed at start (nova-docker's start-time privileged/binds/dns no longer work).
 */
import type { ContainerCreateSpec, ResourceLimits } from './docker-engine.js';

/** HostConfig resource fields for a {@link ResourceLimits} (only the set ones). */
export function resourceFields(r: ResourceLimits): Record<string, number> {
  const out: Record<string, number> = {};
  if (r.nanoCpus !== undefined) out.NanoCpus = r.nanoCpus;
  if (r.cpuQuotaUs !== undefined) out.CpuQuota = r.cpuQuotaUs;
  if (r.cpuPeriodUs !== undefined) out.CpuPeriod = r.cpuPeriodUs;
  if (r.cpuShares !== undefined) out.CpuShares = r.cpuShares;
  if (r.memoryBytes !== undefined) out.Memory = r.memoryBytes;
  if (r.memorySwapBytes !== undefined) out.MemorySwap = r.memorySwapBytes;
  return out;
}

export function toCreateBody(spec: ContainerCreateSpec): Record<string, unknown> {
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const p of spec.ports) {
    const key = `${p.containerPort}/${p.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: p.hostIp ?? '', HostPort: p.hostPort === null ? '' : String(p.hostPort) });
  }
  const hostConfig: Record<string, unknown> = {
    ...resourceFields(spec.resources),
    NetworkMode: spec.networkMode,
    Privileged: spec.privileged,
    PublishAllPorts: spec.publishAllPorts,
    Init: spec.init,
  };
  if (spec.dns.length > 0) hostConfig.Dns = [...spec.dns];
  if (spec.capAdd.length > 0) hostConfig.CapAdd = [...spec.capAdd];
  if (spec.ports.length > 0) hostConfig.PortBindings = bindings;
  if (spec.mounts.length > 0) {
    hostConfig.Mounts = spec.mounts.map((m) => ({ Type: 'bind', Source: m.source, Target: m.target, ReadOnly: m.readOnly }));
  }
  if (spec.ulimits.length > 0) hostConfig.Ulimits = spec.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard }));

  const body: Record<string, unknown> = {
    Image: spec.image,
    Env: [...spec.env],
    Labels: { ...spec.labels },
    HostConfig: hostConfig,
    // No TTY: logs and exec output come multiplexed, which the adapter decodes.
    Tty: false,
    OpenStdin: false,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
  };
  if (spec.cmd !== null) body.Cmd = [...spec.cmd];
  if (spec.hostname !== null) body.Hostname = spec.hostname;
  if (spec.domainname !== null) body.Domainname = spec.domainname;
  if (spec.ports.length > 0) body.ExposedPorts = exposed;
  return body;
}
