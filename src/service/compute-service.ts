/**
 * The compute service process: configuration → logger → bus → RPC server with
 * the endpoints it serves. Owns start-up order and graceful shutdown; holds no
 * Nova or Docker logic itself.
 */
import type { BridgeConfig } from '../config/options/index.js';
import type { Logger } from '../log/logger.js';
import type { Bus } from '../rpc/bus.js';
import { busFromConfig, topologyFlags } from '../rpc/bus-from-config.js';
import type { FailureMapper, RpcEndpoint } from '../rpc/rpc-endpoint.js';
import { RpcServer } from '../rpc/rpc-server.js';

/** What the service needs; `bus` is injectable for tests. */
export interface ComputeServiceOptions {
  config: BridgeConfig;
  logger: Logger;
  endpoints: readonly RpcEndpoint[];
  failureMapper?: FailureMapper;
  bus?: Bus;
  /** Runs after the bus is up and before consuming starts (e.g. driver init_host and reconciliation). */
  beforeServe?: () => Promise<void>;
  /**
   * Runs at stop, after the in-flight calls ended (or the grace period ran
   * out) and before the bus closes: work the calls left running in the
   * background (the undo of a failed image download). Its failure is logged.
   */
  afterDrain?: () => Promise<void>;
}

export class ComputeService {
  private readonly o: ComputeServiceOptions;
  private readonly bus: Bus;
  private readonly server: RpcServer;
  private stopped: Promise<void> | null = null;

  constructor(options: ComputeServiceOptions) {
    this.o = options;
    const { config, logger } = options;
    this.bus = options.bus ?? busFromConfig(config, logger, `nova-docker-bridge:${config.DEFAULT.host}:${process.pid}`);
    this.server = new RpcServer({
      bus: this.bus,
      exchange: config.DEFAULT.control_exchange,
      topic: config.bridge.topic,
      server: config.DEFAULT.host,
      flags: topologyFlags(config),
      endpoints: options.endpoints,
      pingEnabled: config.DEFAULT.rpc_ping_enabled,
      maxInFlight: config.DEFAULT.executor_thread_pool_size,
      prefetch: config.oslo_messaging_rabbit.rabbit_qos_prefetch_count,
      missingReplyQueueRetrySeconds: config.oslo_messaging_rabbit.kombu_missing_consumer_retry_timeout,
      logger: logger.child({}, 'rpc'),
      ...(options.failureMapper ? { failureMapper: options.failureMapper } : {}),
    });
  }

  /** Queues consumed, for logs and tests. */
  get queues(): readonly string[] {
    return this.server.queues;
  }

  async start(signal?: AbortSignal): Promise<void> {
    const { config, logger } = this.o;
    logger.info('starting nova-docker-bridge compute service', {
      host: config.DEFAULT.host,
      topic: config.bridge.topic,
      exchange: config.DEFAULT.control_exchange,
    });
    await this.bus.start(signal);
    await this.o.beforeServe?.();
    await this.server.start();
    logger.info('compute service ready', { queues: this.server.queues.join(',') });
  }

  /** Stops consuming, waits up to graceful_shutdown_timeout for in-flight calls, runs afterDrain, closes the bus. Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      const { finished } = await this.server.stop(this.o.config.DEFAULT.graceful_shutdown_timeout * 1000);
      await this.o.afterDrain?.().catch((err: unknown) => this.o.logger.warning('clean-up at stop failed', { error: err instanceof Error ? err.message : String(err) }));
      await this.bus.close();
      this.o.logger.info('compute service stopped', { drained: finished });
    })();
    return this.stopped;
  }
}
