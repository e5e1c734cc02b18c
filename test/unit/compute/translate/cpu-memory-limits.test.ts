import { describe, expect, it } from 'vitest';
import type { ResourceLimits } from '../../../../src/docker/docker-engine.js';
import { cpuLimits, vcpusFromLimits, type CpuLimitSettings } from '../../../../src/compute/translate/cpu-limits.js';
import { memoryLimits, memoryMbFromLimits } from '../../../../src/compute/translate/memory-limits.js';
import { isBridgeError } from '../../../../src/errors/bridge-error.js';

const s = (mode: CpuLimitSettings['mode'], hostCpus = 8): CpuLimitSettings => ({ mode, periodUs: 100000, sharesPerVcpu: 1024, hostCpus });

describe('cpuLimits', () => {
  const table: Array<[number, CpuLimitSettings, ResourceLimits]> = [
    [1, s('nano_cpus'), { nanoCpus: 1e9 }],
    [4, s('nano_cpus'), { nanoCpus: 4e9 }],
    [16, s('nano_cpus', 2), { nanoCpus: 2e9 }], // overcommitted flavor capped at the host's CPUs
    [2, s('nano_cpus', 0), { nanoCpus: 2e9 }], // unknown host CPUs: no cap
    [2, s('quota'), { cpuPeriodUs: 100000, cpuQuotaUs: 200000 }],
    [16, s('quota', 2), { cpuPeriodUs: 100000, cpuQuotaUs: 1600000 }],
    [3, { ...s('quota'), periodUs: 50000 }, { cpuPeriodUs: 50000, cpuQuotaUs: 150000 }],
    [2, s('shares'), { cpuShares: 2048 }],
    [3, { ...s('shares'), sharesPerVcpu: 512 }, { cpuShares: 1536 }],
    [8, s('none'), {}],
  ];
  it.each(table)('%i vCPUs with %j', (vcpus, settings, expected) => {
    expect(cpuLimits(vcpus, settings)).toEqual(expected);
  });
});

describe('vcpusFromLimits (used figures read back from HostConfig)', () => {
  const zero = { nanoCpus: 0, cpuQuotaUs: 0, cpuPeriodUs: 0, cpuShares: 0, memoryBytes: 0, memorySwapBytes: 0 };
  it.each([
    [{ ...zero, nanoCpus: 2e9 }, 2],
    [{ ...zero, nanoCpus: 5e8 }, 1],
    [{ ...zero, nanoCpus: 1.5e9 }, 2],
    [{ ...zero, cpuQuotaUs: 300000, cpuPeriodUs: 100000 }, 3],
    [{ ...zero, cpuQuotaUs: -1, cpuPeriodUs: 100000 }, 0],
    [{ ...zero, cpuShares: 2048 }, 2],
    [{ ...zero, cpuShares: 100 }, 1],
    [zero, 0],
  ])('%j → %i', (r, want) => {
    expect(vcpusFromLimits(r, 1024)).toBe(want);
  });
});

describe('memoryLimits', () => {
  const MIB = 1024 * 1024;
  it.each([
    [64, 0, true, { memoryBytes: 64 * MIB, memorySwapBytes: 64 * MIB }],
    [512, 256, true, { memoryBytes: 512 * MIB, memorySwapBytes: 768 * MIB }],
    [512, 256, false, { memoryBytes: 512 * MIB, memorySwapBytes: 512 * MIB }],
    [6, 0, true, { memoryBytes: 6 * MIB, memorySwapBytes: 6 * MIB }],
  ])('%i MB + %i MB swap (swap from flavor: %s)', (mem, swap, fromFlavor, want) => {
    expect(memoryLimits(mem, swap, fromFlavor)).toEqual(want);
  });

  it('refuses less than Docker\'s minimum, naming the field', () => {
    let err: unknown;
    try {
      memoryLimits(4, 0, true);
    } catch (e) {
      err = e;
    }
    expect(isBridgeError(err, 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(/instance\.flavor\.memory_mb must be at least 6/);
  });

  it('reads back MB from HostConfig', () => {
    expect(memoryMbFromLimits({ nanoCpus: 0, cpuQuotaUs: 0, cpuPeriodUs: 0, cpuShares: 0, memoryBytes: 64 * MIB, memorySwapBytes: 0 })).toBe(64);
    expect(memoryMbFromLimits({ nanoCpus: 0, cpuQuotaUs: 0, cpuPeriodUs: 0, cpuShares: 0, memoryBytes: 0, memorySwapBytes: 0 })).toBe(0);
  });
});
