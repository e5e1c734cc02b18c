/**
 * get_available_resource: the resources dict Nova's resource tracker expects
 * (nova/compute/resource_tracker.py _verify_resources), from the Engine's host
 * and the limits of our containers.
 */
import type { EngineInfo, EngineVersion } from '../docker/docker-engine.js';
import { novaArchitecture } from './translate/host-arch.js';
import { convertVersionToInt } from './translate/hypervisor-version.js';
import { LABEL_FLAVOR_EPHEMERAL_GB, LABEL_FLAVOR_ROOT_GB } from './translate/labels.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** Sizes of the filesystem holding Docker's root directory. */
export interface DiskFigures {
  readonly totalBytes: number;
  /** Available to unprivileged users (statfs bavail). */
  readonly freeBytes: number;
}

/** Sum over our containers. */
export interface UsedFigures {
  readonly vcpus: number;
  readonly memoryMb: number;
  /** Flavor disk (root_gb + ephemeral_gb) of our containers. */
  readonly localGb: number;
}

/** The dict returned to Nova, with Nova's key names. */
export interface AvailableResources {
  readonly vcpus: number;
  readonly memory_mb: number;
  readonly local_gb: number;
  readonly vcpus_used: number;
  readonly memory_mb_used: number;
  readonly local_gb_used: number;
  readonly hypervisor_type: 'docker';
  readonly hypervisor_version: number;
  readonly hypervisor_hostname: string;
  /** JSON text, as libvirt's driver reports it. */
  readonly cpu_info: string;
  readonly disk_available_least: number;
  /** [[arch, hv_type, vm_mode]] */
  readonly supported_instances: ReadonlyArray<readonly [string, string, string]>;
  readonly numa_topology: null;
}

export interface ResourceInputs {
  readonly host: string;
  readonly info: EngineInfo;
  readonly version: EngineVersion;
  /** null when the Docker root is not visible from here (remote Engine). */
  readonly disk: DiskFigures | null;
  readonly used: UsedFigures;
  /** CPU model name when known (local Engine). */
  readonly cpuModel: string | null;
}

export function availableResources(i: ResourceInputs): AvailableResources {
  const arch = novaArchitecture(i.info.architecture) ?? novaArchitecture(i.version.arch);
  const cpuInfo = {
    arch: arch ?? i.info.architecture,
    model: i.cpuModel ?? 'unknown',
    vendor: 'unknown',
    topology: { sockets: 1, cores: i.info.ncpu, threads: 1 },
    features: [] as string[],
  };
  return {
    vcpus: i.info.ncpu,
    memory_mb: Math.floor(i.info.memTotalBytes / MIB),
    local_gb: i.disk === null ? 0 : Math.floor(i.disk.totalBytes / GIB),
    vcpus_used: i.used.vcpus,
    memory_mb_used: i.used.memoryMb,
    local_gb_used: i.used.localGb,
    hypervisor_type: 'docker',
    hypervisor_version: convertVersionToInt(i.version.version || i.info.serverVersion),
    hypervisor_hostname: i.host,
    cpu_info: JSON.stringify(cpuInfo),
    disk_available_least: i.disk === null ? 0 : Math.floor(i.disk.freeBytes / GIB),
    supported_instances: arch === null ? [] : [[arch, 'docker', 'exe']],
    numa_topology: null,
  };
}

/**
 * The flavor disk a container accounts for, from its labels: root_gb plus
 * ephemeral_gb. Missing or malformed labels (containers made before the
 * ephemeral label existed) count as 0.
 */
export function localGbFromLabels(labels: Readonly<Record<string, string>>): number {
  const gb = (key: string): number => {
    const n = Number(labels[key] ?? 0);
    return Number.isFinite(n) && n > 0 ? n : 0;
  };
  return gb(LABEL_FLAVOR_ROOT_GB) + gb(LABEL_FLAVOR_EPHEMERAL_GB);
}
