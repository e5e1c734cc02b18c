/**
 * The composition root: the only place that picks adapters (amqplib bus,
 * dockerode engine) and hands them to the domain.
 */
import { createComputeDriver } from '../compute/create-compute-driver.js';
import { createComputeEndpoint } from '../compute/compute-endpoint.js';
import { novaFailureMapper } from '../compute/nova-failure-mapper.js';
import type { BridgeConfig } from '../config/options/index.js';
import type { Logger } from '../log/logger.js';
import { ComputeService } from './compute-service.js';

export async function buildComputeService(config: BridgeConfig, logger: Logger): Promise<ComputeService> {
  const { driver } = createComputeDriver(config, logger);
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
