/**
 * An oslo.messaging RPC client: call (with timeout and call-monitor
 * awareness), cast and fanout cast, wire-compatible with Python servers.
 * One `reply_<hex>` queue per client, declared on the first call and restored
 * after reconnections.
 */
import { randomUUID } from 'node:crypto';
import { BridgeError } from '../errors/bridge-error.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import type { Bus, BusDelivery, BusSession } from './bus.js';
import { decodeReply, encodeRequest, messageProperties } from './envelope.js';
import { decodeFailure } from './remote-failure.js';
import { controlExchange, type ExchangeDecl, fanoutExchange, replyQueue, requestRoute, type TopologyFlags } from './topology.js';

/** Options of {@link RpcClient}. */
export interface RpcClientOptions {
  bus: Bus;
  /** Control exchange, e.g. "nova". */
  exchange: string;
  topic: string;
  /** Default server (host) to address; null/absent: any server of the topic. */
  server?: string | null;
  /** Default version sent with requests; absent: none (the server assumes 1.0). */
  version?: string | null;
  namespace?: string | null;
  /** Default call timeout (rpc_response_timeout), ms. */
  timeoutMs: number;
  flags: TopologyFlags;
  logger?: Logger;
}

/** Per-request options; each overrides the client default. */
export interface RequestOptions {
  /** Request context, sent flattened as `_context_<key>`. */
  context?: Record<string, unknown>;
  server?: string | null;
  topic?: string;
  version?: string | null;
  namespace?: string | null;
}

export interface CallOptions extends RequestOptions {
  timeoutMs?: number;
  /**
   * Seconds; the server heartbeats every half of it and the call fails when
   * no heartbeat or reply arrives for this long (oslo's call_monitor_timeout).
   */
  callMonitorTimeout?: number | null;
  signal?: AbortSignal;
}

interface Waiter {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  monitorMs: number | null;
  monitor?: NodeJS.Timeout;
  overall: NodeJS.Timeout;
  method: string;
}

export class RpcClient {
  private readonly o: RpcClientOptions;
  private readonly log: Logger;
  private readonly replyQueueName = `reply_${hex()}`;
  private readonly waiters = new Map<string, Waiter>();
  private replyReady: Promise<void> | null = null;
  private readonly declaredFor = new WeakSet<BusSession>();
  private readonly declaredExchanges = new WeakMap<BusSession, Set<string>>();
  private closed = false;

  constructor(options: RpcClientOptions) {
    this.o = options;
    this.log = options.logger ?? silentLogger;
  }

  /** Calls `method` and resolves with its result, or rejects with a RemoteRpcError / ERR_RPC_TIMEOUT. */
  async call(method: string, args: Record<string, unknown> = {}, options: CallOptions = {}): Promise<unknown> {
    if (this.closed) throw new BridgeError('ERR_SHUTTING_DOWN', 'RPC client is closed');
    const timeoutMs = options.timeoutMs ?? this.o.timeoutMs;
    await (this.replyReady ??= this.o.bus.addSetup(`rpc-client:${this.replyQueueName}`, (s) => this.setupReplyQueue(s)));
    const msgId = hex();
    const monitor = options.callMonitorTimeout ?? null;
    const body = encodeRequest({
      method,
      args,
      namespace: pick(options.namespace, this.o.namespace),
      version: pick(options.version, this.o.version),
      msgId,
      replyQueue: this.replyQueueName,
      callMonitorTimeout: monitor,
      uniqueId: hex(),
      context: options.context ?? {},
    });
    const route = requestRoute(this.o.exchange, options.topic ?? this.o.topic, pick(options.server, this.o.server) ?? null, false);
    const result = new Promise<unknown>((resolve, reject) => {
      const fail = (err: Error): void => {
        this.finish(msgId);
        reject(err);
      };
      const waiter: Waiter = {
        resolve: (v) => {
          this.finish(msgId);
          resolve(v);
        },
        reject: fail,
        monitorMs: monitor ? monitor * 1000 : null,
        overall: setTimeout(() => fail(this.timeoutError(method, msgId, timeoutMs)), timeoutMs),
        method,
      };
      this.waiters.set(msgId, waiter);
      this.armMonitor(msgId, waiter);
      options.signal?.addEventListener('abort', () => fail(new BridgeError('ERR_ABORTED', `call ${method} aborted`)), { once: true });
    });
    try {
      await this.o.bus.withSession((s) => this.ensureExchange(s, controlExchange(this.o.exchange, this.o.flags)), timeoutMs);
      await this.o.bus.publish(route.exchange, route.routingKey, body, messageProperties(timeoutMs), timeoutMs);
    } catch (err) {
      this.waiters.get(msgId)?.reject(err as Error);
    }
    return result;
  }

  /** Fire-and-forget to one server (or any server of the topic). */
  async cast(method: string, args: Record<string, unknown> = {}, options: RequestOptions = {}): Promise<void> {
    await this.send(method, args, options, false);
  }

  /** Fire-and-forget to every server of the topic. */
  async fanout(method: string, args: Record<string, unknown> = {}, options: RequestOptions = {}): Promise<void> {
    await this.send(method, args, options, true);
  }

  /** Fails pending calls and stops consuming replies. The reply queue expires on its own (x-expires). */
  async close(): Promise<void> {
    this.closed = true;
    this.o.bus.removeSetup(`rpc-client:${this.replyQueueName}`);
    for (const [, w] of this.waiters) w.reject(new BridgeError('ERR_SHUTTING_DOWN', 'RPC client closed'));
  }

  private async send(method: string, args: Record<string, unknown>, options: RequestOptions, fanout: boolean): Promise<void> {
    const topic = options.topic ?? this.o.topic;
    const body = encodeRequest({
      method,
      args,
      namespace: pick(options.namespace, this.o.namespace),
      version: pick(options.version, this.o.version),
      uniqueId: hex(),
      context: options.context ?? {},
    });
    const route = requestRoute(this.o.exchange, topic, fanout ? null : (pick(options.server, this.o.server) ?? null), fanout);
    await this.o.bus.withSession((s) => this.ensureExchange(s, fanout ? fanoutExchange(topic) : controlExchange(this.o.exchange, this.o.flags)));
    await this.o.bus.publish(route.exchange, route.routingKey, body, messageProperties());
  }

  /** Declares an exchange once per connection, as oslo does before the first publish on a channel. */
  private async ensureExchange(session: BusSession, e: ExchangeDecl): Promise<void> {
    let done = this.declaredExchanges.get(session);
    if (!done) this.declaredExchanges.set(session, (done = new Set()));
    if (done.has(e.name)) return;
    await session.declareExchange(e);
    done.add(e.name);
  }

  private async setupReplyQueue(session: BusSession): Promise<void> {
    if (this.declaredFor.has(session)) return;
    this.declaredFor.add(session);
    await session.declareQueue(replyQueue(this.replyQueueName, this.o.flags));
    await session.consume(this.replyQueueName, (d) => this.onReply(session, d));
  }

  private onReply(session: BusSession, d: BusDelivery | null): void {
    if (d === null) {
      this.log.warning('reply consumer cancelled by the broker', { reply_q: this.replyQueueName });
      return;
    }
    session.ack(d);
    let reply;
    try {
      reply = decodeReply(d.body, d.contentType);
    } catch (err) {
      this.log.warning('dropping malformed reply', { error: (err as Error).message });
      return;
    }
    const waiter = this.waiters.get(reply.msgId);
    if (!waiter) {
      this.log.debug('No calling threads waiting for msg_id', { msg_id: reply.msgId });
      return;
    }
    if (!reply.ending) {
      // A heartbeat: the server is still working on it.
      this.armMonitor(reply.msgId, waiter);
      return;
    }
    if (reply.failure !== null) waiter.reject(decodeFailure(reply.failure));
    else waiter.resolve(reply.result);
  }

  private armMonitor(msgId: string, w: Waiter): void {
    if (w.monitorMs === null) return;
    clearTimeout(w.monitor);
    w.monitor = setTimeout(() => w.reject(this.timeoutError(w.method, msgId, w.monitorMs ?? 0, true)), w.monitorMs);
  }

  private finish(msgId: string): void {
    const w = this.waiters.get(msgId);
    if (!w) return;
    clearTimeout(w.overall);
    clearTimeout(w.monitor);
    this.waiters.delete(msgId);
  }

  private timeoutError(method: string, msgId: string, ms: number, monitor = false): BridgeError {
    return new BridgeError(
      'ERR_RPC_TIMEOUT',
      `Timed out waiting for a reply to message ID ${msgId} (${method}, ${monitor ? 'no heartbeat for' : 'after'} ${ms} ms)`,
      { details: { msg_id: msgId, method, timeout_ms: ms, call_monitor: monitor } },
    );
  }
}

function pick<T>(explicit: T | undefined, fallback: T | undefined): T | undefined {
  return explicit !== undefined ? explicit : fallback;
}

function hex(): string {
  return randomUUID().replace(/-/g, '');
}
