/**
 * Flavor memory (and swap) → Docker memory limits. MemorySwap is memory plus
 * swap in Docker's terms; equal to Memory means "no swap", which is what a VM
 * without a swap disk has.
 */
import type { ResourceLimits } from '../../docker/docker-engine.js';
import { BridgeError } from '../../errors/bridge-error.js';

const MIB = 1024 * 1024;
/** Docker's minimum memory limit. */
export const DOCKER_MIN_MEMORY_MB = 6;

export function memoryLimits(memoryMb: number, swapMb: number, swapFromFlavor: boolean): ResourceLimits {
  if (memoryMb < DOCKER_MIN_MEMORY_MB) {
    throw new BridgeError('ERR_INVALID_ARGUMENT', `instance.flavor.memory_mb must be at least ${DOCKER_MIN_MEMORY_MB} (Docker's minimum memory limit), got ${memoryMb}`, {
      details: { field: 'instance.flavor.memory_mb' },
    });
  }
  const memoryBytes = memoryMb * MIB;
  const swapBytes = swapFromFlavor ? swapMb * MIB : 0;
  return { memoryBytes, memorySwapBytes: memoryBytes + swapBytes };
}

/** Memory limit of a container in MB as Nova counts it (0 = unlimited). */
export function memoryMbFromLimits(r: Required<ResourceLimits>): number {
  return r.memoryBytes > 0 ? Math.ceil(r.memoryBytes / MIB) : 0;
}
