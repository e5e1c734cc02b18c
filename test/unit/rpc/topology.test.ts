/**
 * Declarations for each combination of the [oslo_messaging_rabbit] flags,
 * against PROTOCOL.md §1.1–1.3 (durability, auto-delete, arguments, bindings)
 * and the routing table of §2.1.
 */
import { describe, expect, test } from 'vitest';
import {
  controlExchange,
  DEFAULT_TOPOLOGY_FLAGS,
  fanoutExchange,
  replyQueue,
  requestRoute,
  serverTopology,
  type TopologyFlags,
} from '../../../src/rpc/topology.js';

const flags = (o: Partial<TopologyFlags> = {}): TopologyFlags => ({ ...DEFAULT_TOPOLOGY_FLAGS, ...o });
const topo = (f: TopologyFlags) => serverTopology({ exchange: 'nova', topic: 'docker-compute', server: 'host1', fanoutSuffix: 'abc123', flags: f });

interface Expected {
  /** control exchange and topic queues durable */
  durable: boolean;
  autoDelete: boolean;
  topicArgs: Record<string, unknown>;
  transientArgs: Record<string, unknown>;
}

// PROTOCOL.md §1: durable = amqp_durable_queues OR rabbit_quorum_queue; auto_delete = amqp_auto_delete (topic
// queues and control exchange); x-ha-policy on every queue; x-queue-type quorum on topic queues only; x-expires
// (ttl*1000) on fanout and reply queues only.
const TABLE: Array<[string, TopologyFlags, Expected]> = [
  ['defaults', flags(), { durable: false, autoDelete: false, topicArgs: {}, transientArgs: { 'x-expires': 1_800_000 } }],
  ['amqp_durable_queues', flags({ amqpDurableQueues: true }), { durable: true, autoDelete: false, topicArgs: {}, transientArgs: { 'x-expires': 1_800_000 } }],
  ['amqp_auto_delete', flags({ amqpAutoDelete: true }), { durable: false, autoDelete: true, topicArgs: {}, transientArgs: { 'x-expires': 1_800_000 } }],
  [
    'rabbit_quorum_queue',
    flags({ rabbitQuorumQueue: true }),
    { durable: true, autoDelete: false, topicArgs: { 'x-queue-type': 'quorum' }, transientArgs: { 'x-expires': 1_800_000 } },
  ],
  [
    'rabbit_ha_queues',
    flags({ rabbitHaQueues: true }),
    { durable: false, autoDelete: false, topicArgs: { 'x-ha-policy': 'all' }, transientArgs: { 'x-expires': 1_800_000, 'x-ha-policy': 'all' } },
  ],
  ['rabbit_transient_queues_ttl=60', flags({ transientQueuesTtl: 60 }), { durable: false, autoDelete: false, topicArgs: {}, transientArgs: { 'x-expires': 60_000 } }],
  [
    'durable + ha + quorum + auto_delete',
    flags({ amqpDurableQueues: true, rabbitHaQueues: true, rabbitQuorumQueue: true, amqpAutoDelete: true }),
    {
      durable: true,
      autoDelete: true,
      topicArgs: { 'x-ha-policy': 'all', 'x-queue-type': 'quorum' },
      transientArgs: { 'x-expires': 1_800_000, 'x-ha-policy': 'all' },
    },
  ],
];

describe('serverTopology', () => {
  test.each(TABLE)('%s', (_name, f, e) => {
    expect(topo(f)).toEqual({
      exchanges: [
        { name: 'nova', type: 'topic', durable: e.durable, autoDelete: e.autoDelete },
        // The fanout exchange never follows the flags.
        { name: 'docker-compute_fanout', type: 'fanout', durable: false, autoDelete: true },
      ],
      queues: [
        { name: 'docker-compute', durable: e.durable, autoDelete: e.autoDelete, exclusive: false, arguments: e.topicArgs, bind: { exchange: 'nova', routingKey: 'docker-compute' } },
        {
          name: 'docker-compute.host1',
          durable: e.durable,
          autoDelete: e.autoDelete,
          exclusive: false,
          arguments: e.topicArgs,
          bind: { exchange: 'nova', routingKey: 'docker-compute.host1' },
        },
        // Fanout queues stay classic, non-durable and not auto-deleted whatever the flags.
        {
          name: 'docker-compute_fanout_abc123',
          durable: false,
          autoDelete: false,
          exclusive: false,
          arguments: e.transientArgs,
          bind: { exchange: 'docker-compute_fanout', routingKey: 'docker-compute' },
        },
      ],
    });
  });

  test.each(TABLE)('reply queue with %s: unbound, classic, non-durable', (_name, f, e) => {
    expect(replyQueue('reply_0123', f)).toEqual({ name: 'reply_0123', durable: false, autoDelete: false, exclusive: false, arguments: e.transientArgs });
  });

  test('declaring order: control exchange, fanout exchange; topic, topic.server, fanout queue', () => {
    const t = topo(flags());
    expect(t.exchanges.map((x) => x.name)).toEqual(['nova', 'docker-compute_fanout']);
    expect(t.queues.map((q) => q.name)).toEqual(['docker-compute', 'docker-compute.host1', 'docker-compute_fanout_abc123']);
  });

  test('controlExchange and fanoutExchange alone', () => {
    expect(controlExchange('openstack', flags({ rabbitQuorumQueue: true }))).toEqual({ name: 'openstack', type: 'topic', durable: true, autoDelete: false });
    expect(fanoutExchange('t')).toEqual({ name: 't_fanout', type: 'fanout', durable: false, autoDelete: true });
  });
});

describe('requestRoute (PROTOCOL.md §2.1)', () => {
  test.each<[string, string | null, boolean, { exchange: string; routingKey: string }]>([
    ['call/cast to a server', 'host1', false, { exchange: 'nova', routingKey: 'docker-compute.host1' }],
    ['call/cast to the topic', null, false, { exchange: 'nova', routingKey: 'docker-compute' }],
    ['empty server name means the topic', '', false, { exchange: 'nova', routingKey: 'docker-compute' }],
    ['fanout', null, true, { exchange: 'docker-compute_fanout', routingKey: '' }],
    ['fanout ignores the server', 'host1', true, { exchange: 'docker-compute_fanout', routingKey: '' }],
  ])('%s', (_name, server, fanout, expected) => {
    expect(requestRoute('nova', 'docker-compute', server, fanout)).toEqual(expected);
  });
});
