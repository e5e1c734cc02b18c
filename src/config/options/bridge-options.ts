import { stringOpt } from '../option-types.js';

/** `[bridge]`: what this service serves on the bus. */
export const bridgeSection = {
  help: 'The compute service\'s place on the RPC bus.',
  options: {
    topic: stringOpt({
      help: 'RPC topic the service consumes (queues "<topic>", "<topic>.<host>" and the "<topic>_fanout" exchange). The Nova shim uses the same value.',
      default: 'docker_bridge',
      nonEmpty: true,
      pattern: /^[A-Za-z0-9_.-]+$/,
      patternText: 'letters, digits, "_", "-", "."',
    }),
  },
} as const;
