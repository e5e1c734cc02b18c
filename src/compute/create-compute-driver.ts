/**
 * Wiring for the `serve` command: configuration → Docker adapter → driver.
 * The RPC server then serves `createComputeEndpoint(driver, logger)` and maps
 * failures with `novaFailureMapper`.
 */
import type { BridgeConfig } from '../config/options/index.js';
import { DockerodeEngine } from '../docker/dockerode-engine.js';
import { Iproute2HostNetwork } from '../host-network/iproute2-host-network.js';
import type { Logger } from '../log/logger.js';
import { DockerComputeDriver, type SnapshotUploader } from './docker-compute-driver.js';
import { dockerConnectionFromConfig, driverSettingsFromConfig } from './driver-settings.js';
import type { MissingImageHandler } from './spawn-instance.js';

export interface ComputeService {
  readonly engine: DockerodeEngine;
  readonly driver: DockerComputeDriver;
}

/** The Docker Engine adapter from [docker]: one per process, shared by the driver and the image transfers. */
export function createDockerEngine(config: BridgeConfig, logger: Logger): DockerodeEngine {
  return new DockerodeEngine(dockerConnectionFromConfig(config), { logger: logger.child({}, 'docker') });
}

/**
 * `options.fetchMissingImage` plugs in the Glance download: called when an
 * image is not on the Engine, with the caller's context; without it a missing
 * image is ImageNotFound. `options.uploadSnapshot` plugs in the Glance upload
 * of snapshot; without it snapshot is not supported. `options.engine` is the
 * adapter to use (default: a new one from [docker]).
 */
export function createComputeDriver(
  config: BridgeConfig,
  logger: Logger,
  options: { engine?: DockerodeEngine; fetchMissingImage?: MissingImageHandler; uploadSnapshot?: SnapshotUploader } = {},
): ComputeService {
  const engine = options.engine ?? createDockerEngine(config, logger);
  const settings = driverSettingsFromConfig(config);
  const driver = new DockerComputeDriver({
    engine,
    settings,
    // A remote Engine's containers are not in this machine's process table.
    ...(settings.engineIsLocal ? { hostNetwork: new Iproute2HostNetwork() } : {}),
    logger: logger.child({}, 'compute'),
    ...(options.fetchMissingImage ? { fetchMissingImage: options.fetchMissingImage } : {}),
    ...(options.uploadSnapshot ? { uploadSnapshot: options.uploadSnapshot } : {}),
  });
  return { engine, driver };
}
