/**
 * Wiring for the `serve` command: configuration → Docker adapter → driver.
 * The RPC server then serves `createComputeEndpoint(driver, logger)` and maps
 * failures with `novaFailureMapper`.
 */
import type { BridgeConfig } from '../config/options/index.js';
import { DockerodeEngine } from '../docker/dockerode-engine.js';
import type { Logger } from '../log/logger.js';
import { DockerComputeDriver } from './docker-compute-driver.js';
import { dockerConnectionFromConfig, driverSettingsFromConfig } from './driver-settings.js';
import type { MissingImageHandler } from './spawn-instance.js';

export interface ComputeService {
  readonly engine: DockerodeEngine;
  readonly driver: DockerComputeDriver;
}

/**
 * `options.fetchMissingImage` plugs in the Glance download: called when an
 * image is not on the Engine, with the caller's context; without it a missing
 * image is ImageNotFound.
 */
export function createComputeDriver(config: BridgeConfig, logger: Logger, options: { fetchMissingImage?: MissingImageHandler } = {}): ComputeService {
  const engine = new DockerodeEngine(dockerConnectionFromConfig(config), { logger: logger.child({}, 'docker') });
  const driver = new DockerComputeDriver({
    engine,
    settings: driverSettingsFromConfig(config),
    logger: logger.child({}, 'compute'),
    ...(options.fetchMissingImage ? { fetchMissingImage: options.fetchMissingImage } : {}),
  });
  return { engine, driver };
}
