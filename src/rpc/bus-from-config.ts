/** Builds the bus and topology flags from the resolved configuration. */
import type { BridgeConfig } from '../config/options/index.js';
import type { Logger } from '../log/logger.js';
import { AmqpBus } from './amqp-bus.js';
import type { Bus } from './bus.js';
import type { TopologyFlags } from './topology.js';
import { parseTransportUrl } from './transport-url.js';

export function topologyFlags(config: BridgeConfig): TopologyFlags {
  const r = config.oslo_messaging_rabbit;
  return {
    amqpDurableQueues: r.amqp_durable_queues,
    amqpAutoDelete: r.amqp_auto_delete,
    rabbitQuorumQueue: r.rabbit_quorum_queue,
    rabbitHaQueues: r.rabbit_ha_queues,
    transientQueuesTtl: r.rabbit_transient_queues_ttl,
  };
}

export function busFromConfig(config: BridgeConfig, logger: Logger, connectionName?: string): Bus {
  const r = config.oslo_messaging_rabbit;
  const url = parseTransportUrl(config.DEFAULT.transport_url);
  return new AmqpBus({
    url,
    logger: logger.child({}, 'bus'),
    heartbeatSeconds: r.heartbeat_timeout_threshold,
    retryIntervalSeconds: r.rabbit_retry_interval,
    retryBackoffSeconds: r.rabbit_retry_backoff,
    intervalMaxSeconds: r.rabbit_interval_max,
    publishTimeoutMs: config.DEFAULT.rpc_response_timeout * 1000,
    tls: { enabled: r.ssl || url.query.ssl === '1' || url.query.ssl === 'true', caFile: r.ssl_ca_file, certFile: r.ssl_cert_file, keyFile: r.ssl_key_file },
    ...(connectionName ? { connectionName } : {}),
  });
}
