/**
 * Composes the translation fragments into one ContainerCreateSpec. Pure: every
 * input is a parameter (the validated spawn payload, the operator's settings
 * and facts about the host), so the whole mapping is testable without Docker.
 */
import type { ContainerCreateSpec, PortPublication, Ulimit } from '../../docker/docker-engine.js';
import type { InterfacePlan } from '../../host-network/host-network.js';
import type { SpawnArgs } from '../payloads.js';
import { commandFromImage } from './command.js';
import { containerName } from './container-name.js';
import { cpuLimits, type CpuLimitMode } from './cpu-limits.js';
import { dnsServers } from './dns.js';
import { ephemeralStorage } from './ephemeral-storage.js';
import { metadataToEnv } from './environment.js';
import { hostIdentity, type HostIdentity } from './hostname.js';
import { hostsFileMount } from './hosts-file.js';
import { instanceLabels } from './labels.js';
import { memoryLimits } from './memory-limits.js';
import { networkSettings, type NetworkMode } from './network-settings.js';
import { containerPrivileges } from './privileges.js';
import { planInterfaces } from './vif-plan.js';

/** Operator settings that shape containers (from `[compute]`, parsed). */
export interface ContainerSettings {
  readonly host: string;
  readonly cpuLimitMode: CpuLimitMode;
  readonly cpuPeriodUs: number;
  readonly cpuSharesPerVcpu: number;
  readonly swapFromFlavor: boolean;
  readonly dhcpDomain: string;
  readonly networkMode: NetworkMode;
  readonly publishAllPorts: boolean;
  readonly publishedPorts: readonly PortPublication[];
  readonly capAdd: readonly string[];
  readonly privileged: boolean;
  readonly allowedFlavorExtraSpecs: readonly string[];
  readonly ulimits: readonly Ulimit[];
  readonly init: boolean;
  readonly metadataToEnv: boolean;
  readonly manageHostsFile: boolean;
  /** Parsed `[compute] ephemeral_mount_point`; null: flavor ephemeral disks are not mounted. */
  readonly ephemeralMountPoint: string | null;
}

/** Facts the spec depends on that are not in the payload. */
export interface CreateContext {
  /** The resolved local image (ID or reference). */
  readonly image: string;
  /** CPUs of the Engine host. */
  readonly hostCpus: number;
  /** Host path of the instance's hosts file (used when manageHostsFile). */
  readonly hostsFilePath: string;
  /** Host path of the instance's ephemeral directory (used when the flavor has ephemeral_gb). */
  readonly ephemeralDirPath: string;
}

export interface CreatePlan {
  readonly spec: ContainerCreateSpec;
  readonly identity: HostIdentity;
  /** Neutron ports to plug after every start (network_mode neutron; else empty). */
  readonly interfaces: readonly InterfacePlan[];
  /** True when the spec bind-mounts the ephemeral directory (it must exist before the create). */
  readonly ephemeralDir: boolean;
  /** Non-fatal notes for the log (skipped metadata, settings that do not apply). */
  readonly notes: readonly string[];
}

export function buildCreatePlan(args: SpawnArgs, settings: ContainerSettings, ctx: CreateContext): CreatePlan {
  const { instance, image_meta: image } = args;
  const flavor = instance.flavor;
  const identity = hostIdentity(instance, settings.dhcpDomain);
  const env = settings.metadataToEnv ? metadataToEnv(instance.metadata) : { env: [], skipped: [] };
  const net = networkSettings(settings.networkMode, dnsServers(args.network_info), settings.publishAllPorts, settings.publishedPorts);
  const priv = containerPrivileges(
    { capAdd: settings.capAdd, privileged: settings.privileged, allowedFlavorExtraSpecs: settings.allowedFlavorExtraSpecs },
    flavor.extra_specs,
  );
  // Planned (and so checked) before anything is created: a port that cannot be plugged fails the spawn here.
  const interfaces = settings.networkMode === 'neutron' ? planInterfaces(args.network_info) : [];
  const ephemeral = ephemeralStorage(flavor.ephemeral_gb, settings.ephemeralMountPoint, ctx.ephemeralDirPath);
  const notes = [
    ...(ephemeral.kind === 'none' && ephemeral.note !== null ? [ephemeral.note] : []),
    ...env.skipped.map((s) => `metadata key ${JSON.stringify(s.key)} not exported: ${s.reason}`),
    ...net.ignored.map((s) => `ignored: ${s}`),
  ];
  const spec: ContainerCreateSpec = {
    name: containerName(instance.uuid),
    image: ctx.image,
    cmd: commandFromImage(image.properties, instance.system_metadata),
    env: env.env,
    labels: instanceLabels({
      host: settings.host,
      uuid: instance.uuid,
      instanceName: instance.name,
      flavorName: flavor.name,
      rootGb: flavor.root_gb,
      ephemeralGb: flavor.ephemeral_gb,
      imageId: image.id,
    }),
    hostname: identity.hostname,
    domainname: identity.domainname,
    resources: {
      ...cpuLimits(flavor.vcpus, { mode: settings.cpuLimitMode, periodUs: settings.cpuPeriodUs, sharesPerVcpu: settings.cpuSharesPerVcpu, hostCpus: ctx.hostCpus }),
      ...memoryLimits(flavor.memory_mb, flavor.swap, settings.swapFromFlavor),
    },
    networkMode: net.networkMode,
    dns: net.dns,
    capAdd: priv.capAdd,
    privileged: priv.privileged,
    publishAllPorts: net.publishAllPorts,
    ports: net.ports,
    mounts: [...(settings.manageHostsFile ? [hostsFileMount(ctx.hostsFilePath)] : []), ...(ephemeral.kind === 'mount' ? [ephemeral.mount] : [])],
    ulimits: settings.ulimits,
    init: settings.init,
  };
  return { spec, identity, interfaces, ephemeralDir: ephemeral.kind === 'mount', notes };
}
