/**
 * The composition root: the only place that picks adapters (amqplib bus,
 * dockerode engine) and hands them to the domain.
 */
import type { BridgeConfig } from '../config/options/index.js';
import type { Logger } from '../log/logger.js';
import { ComputeService } from './compute-service.js';

export async function buildComputeService(config: BridgeConfig, logger: Logger): Promise<ComputeService> {
  return new ComputeService({ config, logger, endpoints: [] });
}
