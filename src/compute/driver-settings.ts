/**
 * The driver's settings as plain values, derived from the `[DEFAULT]`,
 * `[compute]` and `[docker]` sections. Tests build them directly.
 */
import type { BridgeConfig } from '../config/options/index.js';
import type { DockerConnectionOptions } from '../docker/dockerode-engine.js';
import { parseEphemeralMountPoint } from './translate/ephemeral-storage.js';
import { parsePortPublication } from './translate/published-ports.js';
import { parseUlimit } from './translate/ulimits.js';
import type { ContainerSettings } from './translate/create-spec.js';

export interface DriverSettings extends ContainerSettings {
  /** Per-instance state directory root. */
  readonly stateDir: string;
  readonly maxConcurrentOperations: number;
  readonly injectKey: boolean;
  readonly keyInjectionUser: string;
  readonly injectPassword: boolean;
  /** Run user data after the first start ({@link planUserData}). */
  readonly runUserData: boolean;
  /** How long a user-data script is followed (s). */
  readonly userDataTimeoutSeconds: number;
  readonly glanceImageRepository: string;
  /**
   * [compute] local_image_lookup: with "glance-id" (the default when absent)
   * a spawn boots a local image only by its Glance-id tag and otherwise
   * downloads; "any" also accepts the recorded Docker image ID and the name.
   */
  readonly localImageLookup?: 'glance-id' | 'any';
  readonly allowedContainerFormats: readonly string[];
  readonly softRebootTimeoutSeconds: number;
  readonly consoleLogLines: number;
  readonly consoleLogMaxBytes: number;
  /** How long spawn/reboot/power_on wait for a started container to report "running". */
  readonly startWaitMs: number;
  /** After a start, how long a container must survive to count as started (0: checked once, at once). */
  readonly startGraceMs: number;
  /** True when the Engine is on this machine (statfs and CPU model are then meaningful). */
  readonly engineIsLocal: boolean;
}

export function driverSettingsFromConfig(config: BridgeConfig): DriverSettings {
  const c = config.compute;
  return {
    host: config.DEFAULT.host,
    cpuLimitMode: c.cpu_limit_mode,
    cpuPeriodUs: c.cpu_period_us,
    cpuSharesPerVcpu: c.cpu_shares_per_vcpu,
    swapFromFlavor: c.swap_from_flavor,
    dhcpDomain: c.dhcp_domain,
    networkMode: c.network_mode,
    publishAllPorts: c.publish_all_ports,
    publishedPorts: c.published_ports.map(parsePortPublication),
    capAdd: [...c.cap_add],
    privileged: c.privileged,
    allowedFlavorExtraSpecs: [...c.allowed_flavor_extra_specs],
    ulimits: c.ulimits.map(parseUlimit),
    init: c.init,
    metadataToEnv: c.metadata_to_env,
    manageHostsFile: c.manage_hosts_file,
    ephemeralMountPoint: parseEphemeralMountPoint(c.ephemeral_mount_point),
    stateDir: c.state_dir,
    maxConcurrentOperations: c.max_concurrent_operations,
    injectKey: c.inject_key,
    keyInjectionUser: c.key_injection_user,
    injectPassword: c.inject_password,
    runUserData: c.run_user_data,
    userDataTimeoutSeconds: c.user_data_timeout,
    glanceImageRepository: c.glance_image_repository,
    localImageLookup: c.local_image_lookup,
    allowedContainerFormats: [...c.allowed_container_formats],
    softRebootTimeoutSeconds: c.soft_reboot_timeout,
    consoleLogLines: c.console_log_lines,
    consoleLogMaxBytes: c.console_log_max_bytes,
    startWaitMs: 10_000,
    startGraceMs: c.start_grace_ms,
    engineIsLocal: config.docker.host_url.trim().toLowerCase().startsWith('unix://'),
  };
}

export function dockerConnectionFromConfig(config: BridgeConfig): DockerConnectionOptions {
  const d = config.docker;
  return { hostUrl: d.host_url, caFile: d.ca_file, certFile: d.cert_file, keyFile: d.key_file, apiTimeoutMs: d.api_timeout * 1000 };
}
