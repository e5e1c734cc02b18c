/**
 * The exchanges, queues and bindings oslo.messaging 14 declares (PROTOCOL.md §1),
 * as data. Every flag must match what the Python peers of the deployment
 * declare, or RabbitMQ answers 406 and closes the channel.
 */

/** The `[oslo_messaging_rabbit]` flags that change declarations. */
export interface TopologyFlags {
  amqpDurableQueues: boolean;
  amqpAutoDelete: boolean;
  rabbitQuorumQueue: boolean;
  rabbitHaQueues: boolean;
  /** Seconds; becomes x-expires on fanout and reply queues. */
  transientQueuesTtl: number;
}

export const DEFAULT_TOPOLOGY_FLAGS: TopologyFlags = {
  amqpDurableQueues: false,
  amqpAutoDelete: false,
  rabbitQuorumQueue: false,
  rabbitHaQueues: false,
  transientQueuesTtl: 1800,
};

export interface ExchangeDecl {
  name: string;
  type: 'topic' | 'fanout';
  durable: boolean;
  autoDelete: boolean;
}

export interface QueueDecl {
  name: string;
  durable: boolean;
  autoDelete: boolean;
  exclusive: false;
  arguments: Record<string, unknown>;
  /** Exchange and routing key to bind with; none for reply queues (the default exchange reaches them). */
  bind?: { exchange: string; routingKey: string };
}

/** Everything an RPC server for (topic, server) declares, in the order oslo declares it. */
export interface ServerTopology {
  exchanges: ExchangeDecl[];
  queues: QueueDecl[];
}

export function controlExchange(name: string, f: TopologyFlags): ExchangeDecl {
  return { name, type: 'topic', durable: f.amqpDurableQueues || f.rabbitQuorumQueue, autoDelete: f.amqpAutoDelete };
}

export function fanoutExchangeName(topic: string): string {
  return `${topic}_fanout`;
}

export function fanoutExchange(topic: string): ExchangeDecl {
  return { name: fanoutExchangeName(topic), type: 'fanout', durable: false, autoDelete: true };
}

function haArgs(f: TopologyFlags): Record<string, unknown> {
  return f.rabbitHaQueues ? { 'x-ha-policy': 'all' } : {};
}

function transientArgs(f: TopologyFlags): Record<string, unknown> {
  return { 'x-expires': f.transientQueuesTtl * 1000, ...haArgs(f) };
}

function topicQueue(name: string, exchange: string, f: TopologyFlags): QueueDecl {
  const args: Record<string, unknown> = { ...haArgs(f) };
  if (f.rabbitQuorumQueue) args['x-queue-type'] = 'quorum';
  return {
    name,
    durable: f.amqpDurableQueues || f.rabbitQuorumQueue,
    autoDelete: f.amqpAutoDelete,
    exclusive: false,
    arguments: args,
    bind: { exchange, routingKey: name },
  };
}

/**
 * Queues `T` and `T.S` on the control exchange and a private `T_fanout_<hex>`
 * queue on the `T_fanout` exchange. `fanoutSuffix` is a uuid4 hex chosen per process.
 */
export function serverTopology(opts: { exchange: string; topic: string; server: string; fanoutSuffix: string; flags: TopologyFlags }): ServerTopology {
  const { exchange, topic, server, fanoutSuffix, flags } = opts;
  return {
    exchanges: [controlExchange(exchange, flags), fanoutExchange(topic)],
    queues: [
      topicQueue(topic, exchange, flags),
      topicQueue(`${topic}.${server}`, exchange, flags),
      {
        name: `${topic}_fanout_${fanoutSuffix}`,
        durable: false,
        autoDelete: false,
        exclusive: false,
        arguments: transientArgs(flags),
        bind: { exchange: fanoutExchangeName(topic), routingKey: topic },
      },
    ],
  };
}

/** A client's `reply_<hex>` queue: no binding, replies arrive through the default exchange. */
export function replyQueue(name: string, flags: TopologyFlags): QueueDecl {
  return { name, durable: false, autoDelete: false, exclusive: false, arguments: transientArgs(flags) };
}

/** Where a request goes (PROTOCOL.md §2.1). */
export function requestRoute(exchange: string, topic: string, server: string | null, fanout: boolean): { exchange: string; routingKey: string } {
  if (fanout) return { exchange: fanoutExchangeName(topic), routingKey: '' };
  return { exchange, routingKey: server ? `${topic}.${server}` : topic };
}
