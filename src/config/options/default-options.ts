import os from 'node:os';
import { boolOpt, enumOpt, intOpt, stringOpt } from '../option-types.js';
import { parseTransportUrl } from '../../rpc/transport-url.js';

/** `[DEFAULT]`: identity, bus and logging, with oslo's names and meanings. */
export const defaultSection = {
  help: 'Service identity, message bus and logging (oslo.config / oslo.messaging / oslo.log names).',
  options: {
    host: stringOpt({
      help: 'Name of this compute host on the bus. Nova\'s shim sends to topic "<topic>.<host>"; it must equal nova.conf [DEFAULT] host on the same node.',
      default: () => os.hostname(),
      defaultText: '<the machine\'s hostname>',
      nonEmpty: true,
      pattern: /^[^\s.]+(\.[^\s.]+)*$/,
      patternText: 'a host name without spaces',
    }),
    transport_url: stringOpt({
      help: 'oslo.messaging transport URL: rabbit://user:pass@host:port[,user:pass@host2:port]/vhost. Several hosts are tried in order for failover.',
      default: 'rabbit://guest:guest@127.0.0.1:5672/',
      secret: true,
      patternText: 'rabbit://[user:pass@]host[:port][,...]/[vhost]',
      // The bus's own parser validates, so a URL accepted here is one the bus can use.
      validate: (raw) => void parseTransportUrl(raw),
    }),
    control_exchange: stringOpt({
      help: 'The topic exchange RPC is published to. Nova uses "nova"; must match the Nova deployment.',
      default: 'nova',
      nonEmpty: true,
    }),
    rpc_response_timeout: intOpt({
      help: 'Seconds to wait for a reply to an RPC call made by this service (and by its CLI tools).',
      default: 60,
      min: 1,
      max: 86400,
    }),
    rpc_ping_enabled: boolOpt({
      help: 'Answer oslo_rpc_server_ping with "pong" (oslo.messaging\'s liveness probe, used by e.g. openstack-health checks).',
      default: false,
    }),
    executor_thread_pool_size: intOpt({
      help: 'Maximum RPC requests handled at once; further requests wait on the broker side (unacknowledged) until a slot frees.',
      default: 64,
      min: 1,
      max: 10000,
    }),
    graceful_shutdown_timeout: intOpt({
      help: 'On SIGTERM: seconds to let in-flight calls finish after consuming stops, before exiting anyway (then up to 30 s more while the undo of a failed image download, if one is pending, finishes).',
      default: 60,
      min: 0,
      max: 86400,
    }),
    debug: boolOpt({ help: 'Log at DEBUG level.', default: false }),
    log_format: enumOpt({
      help: 'Log line format: "text" (oslo-like) or "json" (one JSON object per line).',
      default: 'text',
      choices: ['text', 'json'] as const,
    }),
  },
} as const;

