/**
 * The message-bus port: the only surface the oslo RPC logic sees of AMQP.
 * The adapter (amqp-bus.ts) owns connections, failover and reconnection; users
 * register set-up functions that are replayed after every reconnection so that
 * declarations and consumers come back by themselves.
 */
import type { OsloMessageProperties } from './envelope.js';
import type { ExchangeDecl, QueueDecl } from './topology.js';

/** One message delivered to a consumer. Valid only within the session that delivered it. */
export interface BusDelivery {
  readonly body: Buffer;
  readonly contentType: string | undefined;
  readonly exchange: string;
  readonly routingKey: string;
  readonly redelivered: boolean;
}

/** Consumer callback; `null` means the broker cancelled the consumer (e.g. its queue was deleted). */
export type DeliveryHandler = (delivery: BusDelivery | null) => void;

/** What a set-up function may do on a freshly (re)opened connection. */
export interface BusSession {
  declareExchange(exchange: ExchangeDecl): Promise<void>;
  /** Declares the queue and, when it has one, its binding. */
  declareQueue(queue: QueueDecl): Promise<void>;
  deleteQueue(name: string): Promise<void>;
  /** Limit of unacknowledged deliveries per consumer, for the consumers started after it (0 = none). */
  setPrefetch(count: number): Promise<void>;
  /** Starts a manual-ack consumer; returns its consumer tag. */
  consume(queue: string, handler: DeliveryHandler, options?: { consumerTag?: string }): Promise<string>;
  cancel(consumerTag: string): Promise<void>;
  ack(delivery: BusDelivery): void;
  /** Rejects without requeue: the message is dropped (or dead-lettered), as oslo does for undecodable ones. */
  reject(delivery: BusDelivery): void;
}

export interface PublishOptions extends OsloMessageProperties {
  /** Ask the broker to return the message when no queue takes it (replies). */
  mandatory?: boolean;
}

/** A message the broker handed back because no queue took it. */
export interface ReturnedMessage {
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Buffer;
}

export interface BusEvents {
  connected: (info: { broker: string }) => void;
  disconnected: (info: { reason: string }) => void;
  returned: (msg: ReturnedMessage) => void;
}

export interface Bus {
  /**
   * Connects (retrying with back-off until connected or closed). Resolves once the first session is ready.
   * `signal` gives up on connecting (the bus is then closed); it has no effect once connected.
   */
  start(signal?: AbortSignal): Promise<void>;
  /** Registers a set-up run on the current session (if any) and after every reconnection. */
  addSetup(name: string, setup: (session: BusSession) => Promise<void>): Promise<void>;
  removeSetup(name: string): void;
  /**
   * Publishes with publisher confirms. While disconnected it waits for the
   * connection up to `waitMs` (default: the adapter's publish timeout), then
   * fails with ERR_BUS_UNAVAILABLE.
   */
  publish(exchange: string, routingKey: string, body: Buffer, options: PublishOptions, waitMs?: number): Promise<void>;
  /** Runs `fn` on the current session (waiting for one like publish does). */
  withSession<T>(fn: (session: BusSession) => Promise<T>, waitMs?: number): Promise<T>;
  on<E extends keyof BusEvents>(event: E, listener: BusEvents[E]): void;
  off<E extends keyof BusEvents>(event: E, listener: BusEvents[E]): void;
  readonly isConnected: boolean;
  /** Closes for good; set-ups are not replayed afterwards. */
  close(): Promise<void>;
}
