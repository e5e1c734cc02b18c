/**
 * An oslo.messaging RPC server on the bus: declares oslo's topology for
 * (topic, server), dispatches calls, casts and fanout casts to endpoints, and
 * replies exactly as oslo 14 does, with call-monitor heartbeats while a call
 * runs. Bounded: at most `maxInFlight` requests run at once, and the broker
 * holds back the rest (a per-consumer prefetch on each of the three queues),
 * so memory stays flat under floods.
 */
import { randomUUID } from 'node:crypto';
import { BridgeError, toBridgeError } from '../errors/bridge-error.js';
import type { Logger } from '../log/logger.js';
import type { Bus, BusDelivery, BusSession, ReturnedMessage } from './bus.js';
import { PING_ENDPOINT, resolveMethod } from './dispatcher.js';
import { decodeBody, encodeReply, messageProperties, type IncomingRequest, unpackRequest } from './envelope.js';
import { bridgeFailureMapper, builtinFailure, encodeFailure } from './remote-failure.js';
import type { FailureMapper, RemoteFailure, RequestContext, RpcEndpoint } from './rpc-endpoint.js';
import { serverTopology, type ServerTopology, type TopologyFlags } from './topology.js';

/** Options of {@link RpcServer}. */
export interface RpcServerOptions {
  bus: Bus;
  /** The control exchange, e.g. "nova". */
  exchange: string;
  topic: string;
  /** This host's name: requests to "<topic>.<server>" come here only. */
  server: string;
  flags: TopologyFlags;
  endpoints: readonly RpcEndpoint[];
  /** Serve oslo_rpc_server_ping (rpc_ping_enabled). */
  pingEnabled?: boolean;
  /** Requests handled at once (executor_thread_pool_size). */
  maxInFlight: number;
  /** Broker prefetch; 0 or absent: use maxInFlight. */
  prefetch?: number;
  /** How errors become Python exceptions; default: nova_docker_bridge.exception classes. */
  failureMapper?: FailureMapper;
  /** Seconds to keep re-sending a reply the broker returned (kombu_missing_consumer_retry_timeout). */
  missingReplyQueueRetrySeconds?: number;
  logger: Logger;
}

/** How many `_unique_id`s are remembered for duplicate suppression (oslo's DUP_MSG_CHECK_SIZE). */
const DUP_CHECK_SIZE = 16;
const REPLY_RETRY_INTERVAL_MS = 250;

interface Waiting {
  delivery: BusDelivery;
  session: BusSession;
}

export class RpcServer {
  private readonly o: RpcServerOptions;
  private readonly log: Logger;
  private readonly endpoints: readonly RpcEndpoint[];
  private readonly mapFailure: FailureMapper;
  private readonly topology: ServerTopology;
  private readonly setupName: string;
  private readonly recentIds: string[] = [];
  private readonly waiting: Waiting[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly consumerTags: string[] = [];
  private readonly abort = new AbortController();
  private readonly returnedReplies = new Map<string, { body: Buffer; deadline: number; bounces: number }>();
  private stopping = false;
  private started = false;
  private readonly onReturned = (msg: ReturnedMessage): void => this.retryReturnedReply(msg);

  constructor(options: RpcServerOptions) {
    this.o = options;
    this.log = options.logger;
    this.mapFailure = options.failureMapper ?? bridgeFailureMapper;
    this.endpoints = options.pingEnabled ? [...options.endpoints, PING_ENDPOINT] : [...options.endpoints];
    this.topology = serverTopology({
      exchange: options.exchange,
      topic: options.topic,
      server: options.server,
      fanoutSuffix: randomUUID().replace(/-/g, ''),
      flags: options.flags,
    });
    this.setupName = `rpc-server:${options.topic}.${options.server}`;
  }

  /** Requests being handled right now. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Queue names this server consumes (topic, topic.server, fanout). */
  get queues(): readonly string[] {
    return this.topology.queues.map((q) => q.name);
  }

  /** Declares the topology and starts consuming; redone automatically after every reconnection. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.o.bus.on('returned', this.onReturned);
    await this.o.bus.addSetup(this.setupName, (s) => this.setup(s));
    this.log.info('RPC server consuming', { exchange: this.o.exchange, queues: this.queues.join(',') });
  }

  private async setup(session: BusSession): Promise<void> {
    this.consumerTags.length = 0;
    // Deliveries that were waiting for a slot belong to the dead connection; the broker requeued them.
    this.waiting.length = 0;
    for (const e of this.topology.exchanges) await session.declareExchange(e);
    for (const q of this.topology.queues) await session.declareQueue(q);
    await session.setPrefetch(this.o.prefetch && this.o.prefetch > 0 ? this.o.prefetch : this.o.maxInFlight);
    for (const q of this.topology.queues) {
      this.consumerTags.push(await session.consume(q.name, (d) => this.onDelivery(session, q.name, d)));
    }
  }

  /**
   * Graceful stop: stop consuming, let running requests finish within
   * `deadlineMs`, then abort the rest; delete the private fanout queue as oslo
   * does on a clean shutdown. The bus stays open for the caller to close.
   */
  async stop(deadlineMs: number): Promise<{ finished: boolean }> {
    if (this.stopping) return { finished: this.running.size === 0 };
    this.stopping = true;
    this.o.bus.removeSetup(this.setupName);
    const tags = [...this.consumerTags];
    this.consumerTags.length = 0;
    if (this.o.bus.isConnected) {
      await this.o.bus
        .withSession(async (s) => {
          for (const t of tags) await s.cancel(t).catch(() => undefined);
        }, 1000)
        .catch(() => undefined);
    }
    this.waiting.length = 0;
    const pending = [...this.running];
    this.log.info('RPC server stopping', { in_flight: pending.length, deadline_ms: deadlineMs });
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      Promise.allSettled(pending).then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), deadlineMs))),
    ]);
    clearTimeout(timer);
    if (!finished) {
      this.log.warning('in-flight requests did not finish before the shutdown deadline; aborting them', { count: this.running.size });
      this.abort.abort(new BridgeError('ERR_SHUTTING_DOWN', 'service is shutting down'));
      await Promise.race([Promise.allSettled([...this.running]), new Promise((r) => setTimeout(r, 1000))]);
    }
    const fanoutQueue = this.topology.queues[2]?.name;
    if (fanoutQueue && this.o.bus.isConnected) {
      await this.o.bus.withSession((s) => s.deleteQueue(fanoutQueue), 1000).catch(() => undefined);
    }
    this.o.bus.off('returned', this.onReturned);
    return { finished };
  }

  private onDelivery(session: BusSession, queue: string, delivery: BusDelivery | null): void {
    if (delivery === null) {
      this.log.warning('consumer cancelled by the broker; the bus reconnects and consumes again', { queue });
      return;
    }
    if (this.stopping) return; // left unacked: the broker redelivers it to another server
    if (this.running.size < this.o.maxInFlight) this.begin(session, delivery);
    else this.waiting.push({ delivery, session });
  }

  private begin(session: BusSession, delivery: BusDelivery): void {
    let req: IncomingRequest;
    try {
      req = unpackRequest(decodeBody(delivery.body, delivery.contentType));
    } catch (err) {
      this.rejectMalformed(session, delivery, err);
      return;
    }
    // Acknowledge before dispatch, as oslo does: RPC delivery is at-most-once.
    session.ack(delivery);
    if (req.uniqueId !== null) {
      if (this.recentIds.includes(req.uniqueId)) {
        this.log.warning('ignoring duplicate message', { unique_id: req.uniqueId, method: req.method ?? undefined });
        this.next();
        return;
      }
      this.recentIds.push(req.uniqueId);
      if (this.recentIds.length > DUP_CHECK_SIZE) this.recentIds.shift();
    }
    const task = this.handle(req).finally(() => {
      this.running.delete(task);
      this.next();
    });
    this.running.add(task);
  }

  private next(): void {
    while (!this.stopping && this.running.size < this.o.maxInFlight && this.waiting.length > 0) {
      const w = this.waiting.shift();
      if (w) this.begin(w.session, w.delivery);
    }
  }

  private rejectMalformed(session: BusSession, delivery: BusDelivery, err: unknown): void {
    session.reject(delivery);
    // Tell the caller when we can: a parsable call with a reply queue gets a failure instead of a timeout.
    const call = peekCall(delivery);
    const e = toBridgeError(err, 'ERR_MALFORMED_MESSAGE');
    this.log.warning('Failed to process message ... skipping it', {
      error: e.message,
      routing_key: delivery.routingKey,
      body_prefix: delivery.body.subarray(0, 120).toString('utf8'),
    });
    if (call) void this.reply(call.replyQueue, call.msgId, null, builtinFailure('ValueError', e.message));
  }

  private async handle(req: IncomingRequest): Promise<void> {
    const log = this.log.child({
      request_id: typeof req.context.request_id === 'string' ? req.context.request_id : undefined,
      method: req.method ?? undefined,
    });
    const isCall = req.msgId !== null && req.replyQueue !== null;
    const heartbeat = isCall ? this.startHeartbeats(req, log) : undefined;
    const started = performance.now();
    let result: unknown = null;
    let failure: RemoteFailure | null = null;
    let stack: string | undefined;
    let thrown = false;
    try {
      const resolved = resolveMethod(this.endpoints, req);
      if (!resolved.ok) {
        failure = resolved.failure;
      } else {
        const ctx = makeContext(req);
        result = (await resolved.method(ctx, req.args, this.abort.signal)) ?? null;
      }
    } catch (err) {
      thrown = true;
      failure = this.mapFailure(err);
      const e = toBridgeError(err);
      // Frames only for unexpected errors: for the expected ones the caller (and Nova's instance
      // fault, which shows the remote traceback) needs the message, not our source paths.
      stack = e.code === 'ERR_INTERNAL' && err instanceof Error ? err.stack : undefined;
      const fields = { code: e.code, error: e.message, remote_class: `${failure.module}.${failure.class}`, ...(stack ? { stack } : {}) };
      if (e.fault === 'server') log.error(isCall ? 'call failed' : 'cast failed', fields);
      else log.warning(isCall ? 'call refused' : 'cast refused', fields);
    } finally {
      heartbeat?.stop();
    }
    if (failure && !thrown && failure.module !== 'builtins') {
      log.warning('dispatch failed', { remote_class: `${failure.module}.${failure.class}`, error: failure.message });
    }
    if (log.isEnabled('debug')) log.debug('request handled', { ms: Math.round(performance.now() - started), kind: isCall ? 'call' : 'cast' });
    if (isCall && req.msgId !== null && req.replyQueue !== null) {
      await this.reply(req.replyQueue, req.msgId, result, failure, stack, log);
    }
  }

  /** Sends `ending:false` every int(_timeout)/2 s while the call runs, only when the caller asked (PROTOCOL.md §4). */
  private startHeartbeats(req: IncomingRequest, log: Logger): { stop(): void } | undefined {
    if (!req.clientTimeout) return undefined;
    const seconds = pythonInt(req.clientTimeout);
    const interval = seconds === null ? 0 : seconds / 2;
    if (interval < 1) {
      log.warning(`Client provided an invalid timeout value of ${JSON.stringify(req.clientTimeout)}`);
      return undefined;
    }
    const replyQueue = req.replyQueue as string;
    const msgId = req.msgId as string;
    const timer = setInterval(() => {
      const body = encodeReply({ result: null, failure: null, ending: false, msgId, uniqueId: newId() });
      this.o.bus.publish('', replyQueue, body, { ...messageProperties(), mandatory: true }, 1000).catch((err: unknown) => {
        log.debug('call-monitor heartbeat failed', { error: (err as Error).message });
      });
    }, interval * 1000);
    return { stop: () => clearInterval(timer) };
  }

  private async reply(
    replyQueue: string,
    msgId: string,
    result: unknown,
    failure: RemoteFailure | null,
    stack?: string,
    log: Logger = this.log,
  ): Promise<void> {
    let body: Buffer;
    try {
      body = encodeReply({ result, failure: failure ? encodeFailure(failure, stack) : null, ending: true, msgId, uniqueId: newId() });
    } catch (err) {
      // A result that cannot be serialized must still answer the caller.
      const f = builtinFailure('TypeError', `result is not JSON serializable: ${(err as Error).message}`);
      body = encodeReply({ result: null, failure: encodeFailure(f), ending: true, msgId, uniqueId: newId() });
    }
    // Like oslo's direct_send (retry=None): a reply the broker did not confirm because the
    // connection went goes out again on the next one, within the missing-reply-queue window. A
    // duplicate is harmless: callers drop replies whose _msg_id they no longer wait for.
    const deadline = Date.now() + (this.o.missingReplyQueueRetrySeconds ?? 60) * 1000;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.o.bus.publish('', replyQueue, body, { ...messageProperties(), mandatory: true }, Math.max(1000, deadline - Date.now()));
        if (attempt > 1) log.info('reply sent after the connection came back', { reply_q: replyQueue, msg_id: msgId, attempt });
        return;
      } catch (err) {
        const retry = err instanceof BridgeError && err.code === 'ERR_BUS_UNAVAILABLE' && Date.now() < deadline;
        if (!retry) {
          log.error('could not send reply', { reply_q: replyQueue, msg_id: msgId, error: (err as Error).message });
          return;
        }
        log.warning('reply not confirmed by the broker; sending it again', { reply_q: replyQueue, msg_id: msgId, attempt, error: (err as Error).message });
        await new Promise((r) => setTimeout(r, REPLY_RETRY_INTERVAL_MS));
      }
    }
  }

  /**
   * The broker returned a reply: the caller's reply queue has no consumer right
   * now (it may be reconnecting). Retry like oslo, then abandon.
   */
  private retryReturnedReply(msg: ReturnedMessage): void {
    if (msg.exchange !== '') return;
    let parsed: { _msg_id?: unknown; ending?: unknown };
    try {
      parsed = JSON.parse(String((JSON.parse(msg.body.toString('utf8')) as Record<string, unknown>)['oslo.message'])) as typeof parsed;
    } catch {
      return;
    }
    if (parsed.ending !== true || typeof parsed._msg_id !== 'string') return; // heartbeats are not worth retrying
    const key = parsed._msg_id;
    const now = Date.now();
    const entry = this.returnedReplies.get(key) ?? { body: msg.body, deadline: now + (this.o.missingReplyQueueRetrySeconds ?? 60) * 1000, bounces: 0 };
    entry.bounces++;
    if (now >= entry.deadline) {
      this.returnedReplies.delete(key);
      this.log.warning('Abandoning reply: no consumer on the reply queue', { reply_q: msg.routingKey, msg_id: key });
      return;
    }
    this.returnedReplies.set(key, entry);
    setTimeout(() => {
      this.o.bus
        .publish('', msg.routingKey, entry.body, { ...messageProperties(), mandatory: true }, 1000)
        .then(() => {
          // Forget the entry once this retry was not returned. Deleting it while the reply
          // still bounces would restart the deadline and retry forever.
          const bounces = entry.bounces;
          setTimeout(() => {
            if (this.returnedReplies.get(key) === entry && entry.bounces === bounces) this.returnedReplies.delete(key);
          }, REPLY_RETRY_INTERVAL_MS * 4).unref();
        })
        .catch(() => this.returnedReplies.delete(key));
    }, REPLY_RETRY_INTERVAL_MS).unref();
  }
}

function makeContext(req: IncomingRequest): RequestContext {
  const values = { ...req.context, client_timeout: req.clientTimeout ?? null };
  return {
    values,
    requestId: typeof req.context.request_id === 'string' ? req.context.request_id : undefined,
    authToken: typeof req.context.auth_token === 'string' ? req.context.auth_token : undefined,
    clientTimeout: typeof req.clientTimeout === 'number' ? req.clientTimeout : null,
  };
}

/** Python's int() of a JSON value, or null where Python raises. */
function pythonInt(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v)) return Number(v);
  return null;
}

/** Best-effort: the reply route of a message we could not fully unpack. */
function peekCall(delivery: BusDelivery): { msgId: string; replyQueue: string } | null {
  try {
    const m = decodeBody(delivery.body, delivery.contentType);
    if (typeof m._msg_id === 'string' && typeof m._reply_q === 'string' && m._reply_q.startsWith('reply_')) {
      return { msgId: m._msg_id, replyQueue: m._reply_q };
    }
  } catch {
    // Not decodable at all: nobody to answer.
  }
  return null;
}

function newId(): string {
  return randomUUID().replace(/-/g, '');
}
