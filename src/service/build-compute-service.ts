/**
 * The composition root: the only place that picks adapters (amqplib bus,
 * dockerode engine, axios for Glance/Keystone) and hands them to the domain.
 */
import { createComputeDriver, createDockerEngine } from '../compute/create-compute-driver.js';
import { createComputeEndpoint } from '../compute/compute-endpoint.js';
import { novaFailureMapper } from '../compute/nova-failure-mapper.js';
import type { BridgeConfig } from '../config/options/index.js';
import { imageEnsurerFromConfig } from '../images/image-ensurer-from-config.js';
import type { Logger } from '../log/logger.js';
import { ComputeService } from './compute-service.js';

export async function buildComputeService(config: BridgeConfig, logger: Logger): Promise<ComputeService> {
  // One Docker adapter for containers and image transfers alike (local socket or TCP+TLS).
  const engine = createDockerEngine(config, logger);
  const images = imageEnsurerFromConfig(config, { store: engine, logger: logger.child({}, 'images') });
  const { driver } = createComputeDriver(config, logger, {
    engine,
    // A missing image is streamed from Glance into docker load, with the caller's token when it sent one.
    fetchMissingImage: async (image, request, signal) =>
      (await images.ensureImage(image, { authToken: request?.authToken ?? null, serviceCatalog: request?.values.service_catalog }, signal)).reference,
  });
  return new ComputeService({
    config,
    logger,
    endpoints: [createComputeEndpoint(driver, logger.child({}, 'compute'))],
    failureMapper: novaFailureMapper,
    // Check the Engine and reconcile leftovers of a crash before taking any request.
    beforeServe: async () => {
      await driver.init_host({ host: config.DEFAULT.host });
    },
  });
}
