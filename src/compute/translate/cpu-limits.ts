/**
 * Flavor vCPUs → Docker CPU limits.
 *
 * - nano_cpus: a hard limit of `vcpus` CPUs (HostConfig.NanoCpus). Docker refuses
 *   more than the host has, and Nova may overcommit vCPUs, so it is capped at the
 *   host's CPU count.
 * - quota: the same hard limit via CFS quota/period (no cap needed: the kernel
 *   accepts a quota above the host's capacity).
 * - shares: only a relative weight, as nova-docker did (`vcpus × 1024`).
 * - none: no CPU limit.
 */
import type { ResourceLimits } from '../../docker/docker-engine.js';

export type CpuLimitMode = 'nano_cpus' | 'quota' | 'shares' | 'none';

export interface CpuLimitSettings {
  readonly mode: CpuLimitMode;
  readonly periodUs: number;
  readonly sharesPerVcpu: number;
  /** CPUs of the Engine's host (caps nano_cpus). */
  readonly hostCpus: number;
}

const NANO = 1_000_000_000;

export function cpuLimits(vcpus: number, s: CpuLimitSettings): ResourceLimits {
  switch (s.mode) {
    case 'nano_cpus': {
      const cpus = s.hostCpus > 0 ? Math.min(vcpus, s.hostCpus) : vcpus;
      return { nanoCpus: cpus * NANO };
    }
    case 'quota':
      return { cpuPeriodUs: s.periodUs, cpuQuotaUs: vcpus * s.periodUs };
    case 'shares':
      return { cpuShares: vcpus * s.sharesPerVcpu };
    case 'none':
      return {};
  }
}

/**
 * The CPUs a container may use, read back from its HostConfig: NanoCpus, or
 * quota/period, or shares/`sharesPerVcpu` when only a weight is set. Rounded up
 * to whole vCPUs as Nova counts them; 0 when unlimited.
 */
export function vcpusFromLimits(r: Required<ResourceLimits>, sharesPerVcpu: number): number {
  if (r.nanoCpus > 0) return Math.ceil(r.nanoCpus / NANO - 1e-9);
  if (r.cpuQuotaUs > 0 && r.cpuPeriodUs > 0) return Math.ceil(r.cpuQuotaUs / r.cpuPeriodUs - 1e-9);
  if (r.cpuShares > 0 && sharesPerVcpu > 0) return Math.max(1, Math.round(r.cpuShares / sharesPerVcpu));
  return 0;
}
