/**
 * The amqplib adapter of the {@link Bus} port: one connection with a consume
 * channel and a confirm channel for publishing, broker failover in URL order,
 * oslo's reconnection back-off (retry_interval + n·retry_backoff, capped at
 * interval_max), and set-ups replayed after every reconnection.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { BridgeError } from '../errors/bridge-error.js';
import type { Logger } from '../log/logger.js';
import type { Bus, BusDelivery, BusEvents, BusSession, DeliveryHandler, PublishOptions } from './bus.js';
import type { ExchangeDecl, QueueDecl } from './topology.js';
import type { TransportUrl } from './transport-url.js';

/** Options of {@link AmqpBus}. */
export interface AmqpBusOptions {
  url: TransportUrl;
  logger: Logger;
  /** AMQP heartbeat in seconds (heartbeat_timeout_threshold); 0 disables. */
  heartbeatSeconds: number;
  retryIntervalSeconds: number;
  retryBackoffSeconds: number;
  intervalMaxSeconds: number;
  /** How long publish/withSession wait for a connection before failing. */
  publishTimeoutMs: number;
  tls?: { enabled: boolean; caFile: string | null; certFile: string | null; keyFile: string | null };
  /** Shown in the broker's connection list, like oslo's "<argv0>:<pid>:<uuid>". */
  connectionName?: string;
}

interface Session {
  model: ChannelModel;
  consumeCh: Channel;
  publishCh: ConfirmChannel;
  api: BusSession;
  epoch: number;
}

const deliveryChannel = new WeakMap<BusDelivery, { ch: Channel; msg: ConsumeMessage; epoch: number }>();

export class AmqpBus implements Bus {
  private readonly opts: AmqpBusOptions;
  private readonly log: Logger;
  private readonly events = new EventEmitter();
  private readonly setups = new Map<string, (s: BusSession) => Promise<void>>();
  private session: Session | null = null;
  private epoch = 0;
  private closed = false;
  private connecting: Promise<void> | null = null;
  private brokerIndex = 0;
  private readonly abort = new AbortController();
  private drain: Promise<void> | null = null;

  private readonly tlsFiles: { ca: Buffer | null; cert: Buffer | null; key: Buffer | null } | null = null;

  constructor(opts: AmqpBusOptions) {
    this.opts = opts;
    this.log = opts.logger;
    this.events.setMaxListeners(0);
    // Read once, up front: an unreadable file is a configuration error, not a broker outage to
    // retry forever in the reconnect loop.
    if (opts.tls?.enabled === true) {
      this.tlsFiles = {
        ca: readTlsFile(opts.tls.caFile, 'ssl_ca_file'),
        cert: readTlsFile(opts.tls.certFile, 'ssl_cert_file'),
        key: readTlsFile(opts.tls.keyFile, 'ssl_key_file'),
      };
    }
  }

  get isConnected(): boolean {
    return this.session !== null;
  }

  on<E extends keyof BusEvents>(event: E, listener: BusEvents[E]): void {
    this.events.on(event, listener);
  }

  off<E extends keyof BusEvents>(event: E, listener: BusEvents[E]): void {
    this.events.off(event, listener);
  }

  async start(signal?: AbortSignal): Promise<void> {
    if (this.closed) throw new BridgeError('ERR_SHUTTING_DOWN', 'bus is closed');
    if (this.session) return;
    // The signal bounds the first connection only: once connected, the bus lives until close().
    const giveUp = (): void => void this.close();
    signal?.addEventListener('abort', giveUp, { once: true });
    try {
      await (this.connecting ??= this.connectLoop());
    } finally {
      signal?.removeEventListener('abort', giveUp);
    }
    if (!this.session) {
      throw new BridgeError(this.closed ? 'ERR_ABORTED' : 'ERR_BUS_UNAVAILABLE', `could not connect to the message broker (${this.brokerList()})`);
    }
  }

  async addSetup(name: string, setup: (s: BusSession) => Promise<void>): Promise<void> {
    this.setups.set(name, setup);
    if (this.session) await setup(this.session.api);
  }

  removeSetup(name: string): void {
    this.setups.delete(name);
  }

  async publish(exchange: string, routingKey: string, body: Buffer, options: PublishOptions, waitMs?: number): Promise<void> {
    const s = await this.waitForSession(waitMs);
    // Back-pressure: amqplib buffers without bound unless writers wait for 'drain'.
    if (this.drain) await this.drain;
    const { mandatory, ...props } = options;
    await new Promise<void>((resolve, reject) => {
      let ok: boolean;
      try {
        ok = s.publishCh.publish(exchange, routingKey, body, { ...props, mandatory: mandatory ?? false }, (err) => {
          if (err) reject(new BridgeError('ERR_BUS_UNAVAILABLE', `broker did not confirm publish to ${exchange || '(default)'}/${routingKey}`, { cause: err }));
          else resolve();
        });
      } catch (err) {
        reject(new BridgeError('ERR_BUS_UNAVAILABLE', `publish failed: ${(err as Error).message}`, { cause: err }));
        return;
      }
      if (!ok && !this.drain) {
        this.drain = new Promise<void>((done) => {
          const release = (): void => {
            this.drain = null;
            done();
          };
          s.publishCh.once('drain', release);
          s.publishCh.once('close', release);
        });
      }
    });
  }

  async withSession<T>(fn: (s: BusSession) => Promise<T>, waitMs?: number): Promise<T> {
    const s = await this.waitForSession(waitMs);
    return fn(s.api);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    const s = this.session;
    this.session = null;
    if (s) {
      try {
        await s.model.close();
      } catch {
        // Already closed by the broker; nothing left to release.
      }
    }
  }

  private async waitForSession(waitMs = this.opts.publishTimeoutMs): Promise<Session> {
    if (this.session) return this.session;
    if (this.closed) throw new BridgeError('ERR_SHUTTING_DOWN', 'bus is closed');
    return new Promise<Session>((resolve, reject) => {
      const onConnected = (): void => {
        cleanup();
        if (this.session) resolve(this.session);
        else reject(new BridgeError('ERR_BUS_UNAVAILABLE', 'connection lost again'));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new BridgeError('ERR_BUS_UNAVAILABLE', `message broker not reachable within ${waitMs} ms (${this.brokerList()})`));
      }, waitMs);
      const onAbort = (): void => {
        cleanup();
        reject(new BridgeError('ERR_SHUTTING_DOWN', 'bus is closed'));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.events.off('connected', onConnected);
        this.abort.signal.removeEventListener('abort', onAbort);
      };
      this.events.on('connected', onConnected);
      this.abort.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private brokerList(): string {
    return this.opts.url.brokers.map((b) => `${b.host}:${b.port}`).join(',');
  }

  private async connectLoop(): Promise<void> {
    let attempt = 0;
    try {
      while (!this.closed) {
        const broker = this.opts.url.brokers[this.brokerIndex % this.opts.url.brokers.length];
        if (!broker) throw new BridgeError('ERR_CONFIG_INVALID', 'transport URL has no broker');
        const where = `${broker.host}:${broker.port}`;
        try {
          await this.openSession(broker);
          this.log.info('connected to message broker', { broker: where, vhost: this.opts.url.vhost });
          this.events.emit('connected', { broker: where });
          return;
        } catch (err) {
          this.brokerIndex++;
          const delay = Math.min(
            this.opts.retryIntervalSeconds + attempt * this.opts.retryBackoffSeconds,
            this.opts.intervalMaxSeconds,
          );
          attempt++;
          this.log.error('message broker unreachable, retrying', { broker: where, error: (err as Error).message, retry_in_s: delay });
          await sleep(delay * 1000, this.abort.signal);
        }
      }
    } finally {
      this.connecting = null;
    }
  }

  private async openSession(broker: TransportUrl['brokers'][number]): Promise<void> {
    // Set exactly when TLS is on (read in the constructor).
    const tls = this.tlsFiles;
    const secure = tls !== null;
    const socketOptions: Record<string, unknown> = {
      clientProperties: { connection_name: this.opts.connectionName ?? `nova-docker-bridge:${process.pid}:${randomUUID()}` },
      timeout: 10_000,
      // Without it an ack and the reply that follows wait on each other's delayed TCP ACK (~40 ms a call).
      noDelay: true,
    };
    if (tls !== null) {
      if (tls.ca) socketOptions.ca = [tls.ca];
      if (tls.cert) socketOptions.cert = tls.cert;
      if (tls.key) socketOptions.key = tls.key;
      socketOptions.servername = broker.host;
    }
    const model = await amqp.connect(
      {
        protocol: secure ? 'amqps' : 'amqp',
        hostname: broker.host,
        port: broker.port,
        username: broker.username,
        password: broker.password,
        vhost: this.opts.url.vhost,
        heartbeat: this.opts.heartbeatSeconds,
      },
      socketOptions,
    );
    coalesceWrites((model as unknown as { connection: { stream: Duplex } }).connection.stream);
    const epoch = ++this.epoch;
    let consumeCh: Channel;
    let publishCh: ConfirmChannel;
    try {
      consumeCh = await model.createChannel();
      publishCh = await model.createConfirmChannel();
    } catch (err) {
      await model.close().catch(() => undefined);
      throw err;
    }
    // A consumer the broker cancels (its queue deleted by an operator, or lost with a cluster node)
    // would otherwise leave the service connected and deaf; as kombu does on ConsumerCancelled,
    // the session is dropped so the set-ups re-declare the queues and consume again.
    const onCancelled = (queue: string): void => lost(`the broker cancelled the consumer of queue ${queue}`);
    const session: Session = { model, consumeCh, publishCh, epoch, api: this.sessionApi(consumeCh, epoch, onCancelled) };
    publishCh.on('return', (msg: ConsumeMessage) => {
      this.events.emit('returned', { exchange: msg.fields.exchange, routingKey: msg.fields.routingKey, body: msg.content });
    });
    const lost = (reason: string): void => this.onLost(session, reason);
    model.on('error', (err: Error) => lost(err.message));
    model.on('close', (err?: Error) => lost(err?.message ?? 'connection closed'));
    model.on('blocked', (reason: string) => this.log.warning('broker blocked the connection', { reason }));
    model.on('unblocked', () => this.log.info('broker unblocked the connection'));
    // A channel-level error (e.g. 406 on a declaration) closes the channel; treat as a lost session
    // so everything is re-declared on a fresh connection instead of limping on half a topology.
    consumeCh.on('close', () => lost('consume channel closed'));
    publishCh.on('close', () => lost('publish channel closed'));
    consumeCh.on('error', (err: Error) => this.log.error('consume channel error', { error: err.message }));
    publishCh.on('error', (err: Error) => this.log.error('publish channel error', { error: err.message }));
    this.session = session;
    try {
      for (const [name, setup] of this.setups) {
        try {
          await setup(session.api);
        } catch (err) {
          throw new BridgeError('ERR_BUS_UNAVAILABLE', `bus set-up "${name}" failed: ${(err as Error).message}`, { cause: err });
        }
      }
    } catch (err) {
      this.session = null;
      await model.close().catch(() => undefined);
      throw err;
    }
  }

  private onLost(session: Session, reason: string): void {
    if (this.session !== session) return;
    this.session = null;
    void session.model.close().catch(() => undefined);
    if (this.closed) return;
    this.log.warning('lost connection to message broker; reconnecting', { reason });
    this.events.emit('disconnected', { reason });
    this.connecting ??= this.connectLoop();
    this.connecting.catch(() => undefined);
  }

  private sessionApi(ch: Channel, epoch: number, onCancelled: (queue: string) => void): BusSession {
    const current = (d: BusDelivery): { ch: Channel; msg: ConsumeMessage } | null => {
      const entry = deliveryChannel.get(d);
      // A delivery from a previous connection cannot be acked: the broker already requeued it.
      return entry && entry.epoch === epoch && this.session?.epoch === epoch ? entry : null;
    };
    return {
      declareExchange: async (e: ExchangeDecl) => {
        await ch.assertExchange(e.name, e.type, { durable: e.durable, autoDelete: e.autoDelete });
      },
      declareQueue: async (q: QueueDecl) => {
        await ch.assertQueue(q.name, { durable: q.durable, autoDelete: q.autoDelete, exclusive: q.exclusive, arguments: q.arguments });
        if (q.bind) await ch.bindQueue(q.name, q.bind.exchange, q.bind.routingKey);
      },
      deleteQueue: async (name: string) => {
        await ch.deleteQueue(name);
      },
      setPrefetch: async (count: number) => {
        // Per consumer (global=false), as oslo's basic_qos(0, n, False): RabbitMQ refuses to
        // consume a quorum queue on a channel with global QoS (not_implemented).
        await ch.prefetch(count, false);
      },
      consume: async (queue: string, handler: DeliveryHandler, options?: { consumerTag?: string }) => {
        const r = await ch.consume(
          queue,
          (msg) => {
            if (!msg) {
              handler(null);
              onCancelled(queue);
              return;
            }
            const d: BusDelivery = {
              body: msg.content,
              contentType: msg.properties.contentType as string | undefined,
              exchange: msg.fields.exchange,
              routingKey: msg.fields.routingKey,
              redelivered: msg.fields.redelivered,
            };
            deliveryChannel.set(d, { ch, msg, epoch });
            handler(d);
          },
          { noAck: false, ...(options?.consumerTag ? { consumerTag: options.consumerTag } : {}) },
        );
        return r.consumerTag;
      },
      cancel: async (tag: string) => {
        await ch.cancel(tag);
      },
      ack: (d: BusDelivery) => {
        const e = current(d);
        if (e) e.ch.ack(e.msg);
      },
      reject: (d: BusDelivery) => {
        const e = current(d);
        if (e) e.ch.reject(e.msg, false);
      },
    };
  }
}

/**
 * amqplib writes every AMQP frame with its own write(); with TCP_NODELAY each
 * becomes a segment and a syscall. Corking the socket for the rest of the
 * event-loop turn sends all frames of that turn (an ack, a reply, heartbeats)
 * in one writev.
 */
function coalesceWrites(stream: Duplex): void {
  if (typeof stream.cork !== 'function') return;
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    stream.uncork();
  };
  stream.write = ((...args: unknown[]): boolean => {
    if (!corked) {
      corked = true;
      stream.cork();
      process.nextTick(uncork);
    }
    return write(...args);
  }) as typeof stream.write;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

function readTlsFile(file: string | null, key: string): Buffer | null {
  if (file === null || file === '') return null;
  try {
    return readFileSync(file);
  } catch (err) {
    throw new BridgeError('ERR_CONFIG_INVALID', `[oslo_messaging_rabbit] ${key} = ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
      cause: err,
      details: { section: 'oslo_messaging_rabbit', key },
    });
  }
}
