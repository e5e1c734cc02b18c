import { boolOpt, floatOpt, intOpt, optionalStringOpt } from '../option-types.js';

/**
 * `[oslo_messaging_rabbit]`: options that change the queue topology or the
 * connection. They must mirror the Nova deployment's values, or RabbitMQ
 * refuses the declarations with 406 PRECONDITION_FAILED.
 */
export const rabbitSection = {
  help: 'RabbitMQ driver options (oslo.messaging names). Topology options must match the rest of the deployment.',
  options: {
    amqp_durable_queues: boolOpt({ help: 'Declare the control exchange and topic queues durable.', default: false }),
    amqp_auto_delete: boolOpt({ help: 'Declare the control exchange and topic queues auto-delete.', default: false }),
    rabbit_quorum_queue: boolOpt({
      help: 'Declare topic queues as quorum queues (x-queue-type=quorum); implies durable topic queues and exchange.',
      default: false,
    }),
    rabbit_ha_queues: boolOpt({ help: 'Add x-ha-policy=all to every queue (classic mirrored queues).', default: false }),
    rabbit_transient_queues_ttl: intOpt({
      help: 'Seconds an unused fanout or reply queue lives (x-expires).',
      default: 1800,
      min: 1,
      max: 4294967,
    }),
    heartbeat_timeout_threshold: intOpt({
      help: 'AMQP heartbeat timeout in seconds; 0 disables heartbeats.',
      default: 60,
      min: 0,
      max: 65535,
    }),
    rabbit_qos_prefetch_count: intOpt({
      help: 'Broker-side prefetch of each of the three consumers (per consumer, as oslo; RabbitMQ refuses global QoS on quorum queues); 0 means the service\'s own in-flight limit (executor_thread_pool_size) is used.',
      default: 0,
      min: 0,
      max: 65535,
    }),
    rabbit_retry_interval: floatOpt({ help: 'Seconds before the first reconnection attempt.', default: 1, min: 0.01, max: 3600 }),
    rabbit_retry_backoff: floatOpt({ help: 'Seconds added to the wait after each failed reconnection attempt.', default: 2, min: 0, max: 3600 }),
    rabbit_interval_max: floatOpt({ help: 'Upper bound in seconds of the wait between reconnection attempts.', default: 30, min: 0.01 }),
    kombu_missing_consumer_retry_timeout: intOpt({
      help: 'Seconds to keep retrying a reply whose reply queue has no consumer (the caller may be reconnecting).',
      default: 60,
      min: 0,
      max: 86400,
    }),
    ssl: boolOpt({ help: 'Connect with TLS (amqps).', default: false }),
    ssl_ca_file: optionalStringOpt({ help: 'CA bundle to verify the broker\'s certificate.', default: null }),
    ssl_cert_file: optionalStringOpt({ help: 'Client certificate (PEM) for mutual TLS.', default: null }),
    ssl_key_file: optionalStringOpt({ help: 'Private key (PEM) of the client certificate.', default: null }),
  },
} as const;
