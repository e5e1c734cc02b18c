/**
 * Our RPC server and client under faults, on the real broker with a real
 * Python oslo.messaging caller: the broker dropping connections, floods of
 * malformed messages, SIGTERM during a call, duplicate ids, replies nobody
 * consumes, and the in-flight bound. The broker itself is never restarted
 * (other agents share it): only our own connections are closed.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AmqpBus } from '../../../src/rpc/amqp-bus.js';
import type { BusEvents } from '../../../src/rpc/bus.js';
import { decodeReply, encodeRequest, messageProperties, type ReplyMessage } from '../../../src/rpc/envelope.js';
import { RemoteRpcError } from '../../../src/rpc/remote-failure.js';
import type { RpcEndpoint } from '../../../src/rpc/rpc-endpoint.js';
import { RpcClient } from '../../../src/rpc/rpc-client.js';
import { RpcServer } from '../../../src/rpc/rpc-server.js';
import { DEFAULT_TOPOLOGY_FLAGS } from '../../../src/rpc/topology.js';
import { REPO_ROOT } from '../../helpers/services.js';
import { echoEndpoint, type EchoRecorder } from '../../fixtures/echo-endpoint.js';
import {
  AMQP_URL,
  capturingLogger,
  closeConnection,
  closeConnectionPid,
  connectionPid,
  deleteTopology,
  PyPeer,
  queueDepth,
  testBus,
  testNames,
  TRANSPORT_URL,
  uniqueName,
  waitFor,
  waitForExit,
} from './rpc-test-env.js';

const { exchange, topic } = testNames('ndb-flt');
const SERVER = 'srv';
const serverQueue = `${topic}.${SERVER}`;
const hex = (): string => randomUUID().replace(/-/g, '');

let peer: PyPeer;
let bus: AmqpBus;
let server: RpcServer;
const serverConnName = uniqueName('ndb-flt-server');
const serverLog = capturingLogger();
const recorder: EchoRecorder = { casts: [] };
const extraQueues: string[] = [];

/** A raw amqplib peer: publishes hand-made requests and collects replies on its own reply queue. */
let raw: { conn: ChannelModel; ch: ConfirmChannel; replyQueue: string; replies: ReplyMessage[] };

beforeAll(async () => {
  bus = testBus(serverConnName, serverLog.logger);
  const peerStarting = PyPeer.start();
  await bus.start();
  server = new RpcServer({
    bus,
    exchange,
    topic,
    server: SERVER,
    flags: DEFAULT_TOPOLOGY_FLAGS,
    endpoints: [echoEndpoint(recorder)],
    pingEnabled: true,
    maxInFlight: 16,
    logger: serverLog.logger,
  });
  await server.start();

  const conn = await amqp.connect(AMQP_URL);
  const ch = await conn.createConfirmChannel();
  const replyQueue = `reply_${hex()}`;
  // Flags as oslo declares a reply queue; it expires by itself if clean-up is skipped.
  await ch.assertQueue(replyQueue, { durable: false, autoDelete: false, arguments: { 'x-expires': 1_800_000 } });
  const replies: ReplyMessage[] = [];
  await ch.consume(replyQueue, (msg) => {
    if (!msg) return;
    ch.ack(msg);
    replies.push(decodeReply(msg.content, msg.properties.contentType as string | undefined));
  });
  raw = { conn, ch, replyQueue, replies };
  extraQueues.push(replyQueue);
  peer = await peerStarting;
});

afterAll(async () => {
  await peer?.close();
  await server?.stop(5000);
  await bus?.close();
  await raw?.conn.close().catch(() => undefined);
  await deleteTopology({ queues: [topic, serverQueue, ...extraQueues], exchanges: [exchange] });
});

const echo = (args: Record<string, unknown> = {}) => ({ exchange, topic, server: SERVER, method: 'echo', args, timeout: 20 });

/** Resolves on the bus's next `event`; rejects after `timeoutMs`. */
function nextEvent<E extends keyof BusEvents>(b: AmqpBus, event: E, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const listener = (() => {
      clearTimeout(timer);
      b.off(event, listener);
      resolve();
    }) as BusEvents[E];
    const timer = setTimeout(() => {
      b.off(event, listener);
      reject(new Error(`no "${event}" event within ${timeoutMs} ms`));
    }, timeoutMs);
    b.on(event, listener);
  });
}

/** Publishes a raw request the way a peer would (control exchange, topic.server) and waits for the broker's confirm. */
async function publishRaw(body: Buffer, props: amqp.Options.Publish = messageProperties(60_000)): Promise<void> {
  raw.ch.publish(exchange, serverQueue, body, props);
  await raw.ch.waitForConfirms();
}

const rawCall = (msgId: string, uniqueId: string, args: Record<string, unknown> = {}): Buffer =>
  encodeRequest({ method: 'echo', args, msgId, replyQueue: raw.replyQueue, callMonitorTimeout: null, uniqueId });

describe('the broker drops a connection', () => {
  test('server: reconnects, re-declares and serves the next Python call; a call in flight is still answered', async () => {
    expect(await peer.callOk(echo({ n: 1 }))).toEqual({ ctxt: { client_timeout: null }, kw: { n: 1 } });
    // Found by the connection_name client property, as an operator would in the management UI.
    const pid = await connectionPid(serverConnName);
    expect(pid, `no broker connection named ${serverConnName}`).toBeDefined();

    // A call that is running when the connection goes: acked already, its reply goes out after the reconnection.
    const inFlight = peer.call({ ...echo(), method: 'slow', args: { seconds: 4 } });
    await waitFor(() => server.inFlight === 1, { what: 'the slow call to start' });
    const lost = nextEvent(bus, 'disconnected', 15_000);
    const back = nextEvent(bus, 'connected', 15_000);
    await closeConnectionPid(pid ?? '');
    await lost;
    await back;
    expect(server.inFlight, 'the slow call was still running across the reconnection').toBe(1);

    expect(await peer.callOk(echo({ n: 2 }))).toEqual({ ctxt: { client_timeout: null }, kw: { n: 2 } });
    expect(await inFlight).toMatchObject({ ok: true, result: 'slept 4' });
    // The fanout consumer came back too.
    const mark = uniqueName('after-reconnect');
    expect((await peer.cast({ exchange, topic, fanout: true, method: 'note', args: { mark } })).ok).toBe(true);
    await waitFor(() => recorder.casts.find((c) => c.args.mark === mark), { what: 'the fanout cast after the reconnection' });
    expect(serverLog.lines().some((l) => l.msg === 'lost connection to message broker; reconnecting')).toBe(true);
  });

  test('client: our RpcClient reconnects, restores its reply queue consumer and calls again', async () => {
    const clientConnName = uniqueName('ndb-flt-client');
    const clientBus = testBus(clientConnName, capturingLogger().logger);
    await clientBus.start();
    const client = new RpcClient({ bus: clientBus, exchange, topic, server: SERVER, timeoutMs: 10_000, flags: DEFAULT_TOPOLOGY_FLAGS });
    try {
      expect(await client.call('echo', { n: 1 })).toEqual({ ctxt: { client_timeout: null }, kw: { n: 1 } });
      const back = nextEvent(clientBus, 'connected', 15_000);
      await closeConnection(clientConnName);
      await back;
      expect(await client.call('echo', { n: 2 })).toEqual({ ctxt: { client_timeout: null }, kw: { n: 2 } });
    } finally {
      await client.close();
      await clientBus.close();
    }
  });
});

describe('malformed messages', () => {
  test('1,000 malformed messages are dropped (calls that can be answered get a failure) and the next call is answered', async () => {
    const repliesBefore = raw.replies.length;
    const warningsBefore = serverLog.lines().filter((l) => l.msg === 'Failed to process message ... skipping it').length;
    const env = (inner: unknown, version = '2.0'): Buffer => Buffer.from(JSON.stringify({ 'oslo.version': version, 'oslo.message': JSON.stringify(inner) }));
    const call = (extra: Record<string, unknown>): Record<string, unknown> => ({ _msg_id: hex(), _reply_q: raw.replyQueue, _unique_id: hex(), ...extra });
    const json = messageProperties(60_000);
    // [kind, body, properties, answered with]
    const kinds: Array<[string, () => Buffer, amqp.Options.Publish, string | null]> = [
      ['not JSON', () => Buffer.from('not json {'), json, null],
      ['no content type', () => env(call({ method: 'echo', args: {} })), { deliveryMode: 2 }, null],
      ['text/plain', () => env(call({ method: 'echo', args: {} })), { ...json, contentType: 'text/plain' }, null],
      ['envelope 3.0', () => env(call({ method: 'echo', args: {} }), '3.0'), json, null],
      ['oslo.message not JSON', () => Buffer.from('{"oslo.version": "2.0", "oslo.message": "{nope"}'), json, null],
      ['args of the wrong type (a call)', () => env(call({ method: 'echo', args: [1, 2] })), json, 'ValueError'],
      ['method of the wrong type (a cast)', () => env({ method: 42, args: {}, _unique_id: hex() }), json, null],
      ['method missing (a call)', () => env(call({ args: {} })), json, 'TypeError'],
      ['a JSON array', () => Buffer.from('[1, 2, 3]'), json, null],
      ['invalid UTF-8', () => Buffer.from([0xff, 0xfe, 0x7b, 0x00]), json, null],
    ];
    for (let i = 0; i < 1000; i++) {
      const [, body, props] = kinds[i % kinds.length] ?? kinds[0]!;
      raw.ch.publish(exchange, serverQueue, body(), props);
    }
    await raw.ch.waitForConfirms();

    // The next valid call from Python is answered.
    expect(await peer.callOk(echo({ after: 'flood' }))).toEqual({ ctxt: { client_timeout: null }, kw: { after: 'flood' } });
    expect(bus.isConnected).toBe(true);

    const answered = kinds.filter(([, , , cls]) => cls !== null).length * 100;
    await waitFor(() => raw.replies.length - repliesBefore === answered, { what: `${answered} failure replies`, timeoutMs: 20_000 });
    const failures = raw.replies.slice(repliesBefore).map((r) => (r.failure ? (JSON.parse(r.failure) as { class: string }).class : 'none'));
    expect(failures.filter((c) => c === 'ValueError')).toHaveLength(100);
    expect(failures.filter((c) => c === 'TypeError')).toHaveLength(100);
    expect(await queueDepth(serverQueue)).toBe(0);
    const warnings = serverLog.lines().filter((l) => l.msg === 'Failed to process message ... skipping it').length - warningsBefore;
    expect(warnings).toBe(900); // everything but the method-less calls, which the dispatcher answers as oslo does
    await waitFor(() => server.inFlight === 0, { what: 'no request in flight' });
  });
});

describe('duplicate _unique_id', () => {
  test('a second message with a recent _unique_id is dropped without a reply; after 16 others it is accepted again', async () => {
    const dupId = hex();
    const [m1, m2, m3] = [hex(), hex(), hex()];
    await publishRaw(rawCall(m1, dupId, { n: 1 }));
    await publishRaw(rawCall(m2, dupId, { n: 2 }));
    // A later message as a barrier: replies leave in delivery order on one channel.
    await publishRaw(rawCall(m3, hex(), { n: 3 }));
    await waitFor(() => raw.replies.some((r) => r.msgId === m3), { what: 'the barrier reply' });
    expect(raw.replies.find((r) => r.msgId === m1)?.result).toEqual({ ctxt: { client_timeout: null }, kw: { n: 1 } });
    expect(raw.replies.some((r) => r.msgId === m2)).toBe(false);
    expect(serverLog.lines().some((l) => l.msg === 'ignoring duplicate message' && l.unique_id === dupId)).toBe(true);

    // oslo remembers the last 16 ids only.
    const fillers = Array.from({ length: 16 }, () => hex());
    for (const id of fillers) await publishRaw(rawCall(id, hex()));
    const m4 = hex();
    await publishRaw(rawCall(m4, dupId, { n: 4 }));
    await waitFor(() => raw.replies.some((r) => r.msgId === m4), { what: 'the reply to the re-used id beyond the window' });
  });
});

describe('replies nobody can take', () => {
  test('a reply to a missing reply queue is retried for missingReplyQueueRetrySeconds, then abandoned', async () => {
    const log = capturingLogger();
    const retBus = testBus(uniqueName('ndb-flt-ret'), log.logger);
    await retBus.start();
    const retServer = new RpcServer({
      bus: retBus,
      exchange,
      topic,
      server: 'ret',
      flags: DEFAULT_TOPOLOGY_FLAGS,
      endpoints: [echoEndpoint()],
      maxInFlight: 4,
      missingReplyQueueRetrySeconds: 2,
      logger: log.logger,
    });
    extraQueues.push(`${topic}.ret`);
    let returned = 0;
    retBus.on('returned', () => returned++);
    await retServer.start();
    try {
      const body = encodeRequest({ method: 'echo', args: {}, msgId: hex(), replyQueue: `reply_${hex()}`, callMonitorTimeout: null, uniqueId: hex() });
      raw.ch.publish(exchange, `${topic}.ret`, body, messageProperties(60_000));
      await raw.ch.waitForConfirms();
      await waitFor(() => log.lines().some((l) => l.msg === 'Abandoning reply: no consumer on the reply queue'), {
        what: 'the reply to be abandoned',
        timeoutMs: 6000,
      });
      // Retried meanwhile (every 250 ms), and nothing more after abandoning.
      expect(returned).toBeGreaterThanOrEqual(3);
      const settled = returned;
      await new Promise((r) => setTimeout(r, 800));
      expect(returned).toBe(settled);
    } finally {
      await retServer.stop(2000);
      await retBus.close();
    }
  });
});

describe('bounded concurrency', () => {
  test('no more than maxInFlight requests run at once; the rest wait in the broker and are all answered', async () => {
    let running = 0;
    let peak = 0;
    const gauge: RpcEndpoint = {
      version: '1.0',
      methods: {
        hold: async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 300));
          running--;
          return 'held';
        },
      },
    };
    const gBus = testBus(uniqueName('ndb-flt-gauge'), capturingLogger().logger);
    await gBus.start();
    const gServer = new RpcServer({
      bus: gBus,
      exchange,
      topic,
      server: 'gauge',
      flags: DEFAULT_TOPOLOGY_FLAGS,
      endpoints: [gauge],
      maxInFlight: 2,
      logger: capturingLogger().logger,
    });
    extraQueues.push(`${topic}.gauge`);
    await gServer.start();
    try {
      const results = await Promise.all(Array.from({ length: 6 }, () => peer.call({ exchange, topic, server: 'gauge', method: 'hold', timeout: 20 })));
      expect(results.map((r) => (r.ok ? r.result : r.error.str))).toEqual(Array(6).fill('held'));
      expect(peak).toBe(2);
    } finally {
      await gServer.stop(2000);
      await gBus.close();
    }
  });
});

describe('SIGTERM', () => {
  test('during a slow call: the call is answered, consuming stops, the process exits 0; nothing queued is lost', async () => {
    // test/fixtures/run-echo-server.ts serves on the control exchange "nova".
    const termTopic = uniqueName('ndb-flt-term');
    extraQueues.push(termTopic, `${termTopic}.term`);
    const clientBus = testBus(uniqueName('ndb-flt-term-client'), capturingLogger().logger);
    await clientBus.start();
    const client = new RpcClient({ bus: clientBus, exchange: 'nova', topic: termTopic, server: 'term', timeoutMs: 20_000, flags: DEFAULT_TOPOLOGY_FLAGS });
    const first = await startEchoServer(termTopic, 'term');
    let second: EchoServerProcess | undefined;
    try {
      const slow = client.call('slow', { seconds: 3 });
      await new Promise((r) => setTimeout(r, 1000));
      first.child.kill('SIGTERM');
      // Sent after SIGTERM: the stopping server must leave it in the queue for another server.
      const afterTerm = client.call('echo', { sent: 'after SIGTERM' });
      const exited = waitForExit(first.child, 15_000);
      expect(await slow).toBe('slept 3');
      expect(await exited).toBe(0);
      expect(first.lines).toContain('STOPPED finished=true');
      second = await startEchoServer(termTopic, 'term');
      expect(await afterTerm).toEqual({ ctxt: { client_timeout: null }, kw: { sent: 'after SIGTERM' } });
    } finally {
      for (const p of [first, second]) {
        if (p && p.child.exitCode === null) {
          p.child.kill('SIGTERM');
          await waitForExit(p.child, 10_000);
        }
      }
      await client.close();
      await clientBus.close();
    }
  });
});

describe('SIGTERM past the shutdown deadline', () => {
  test('a call still running at the deadline is aborted and answered with ShuttingDown; the process exits 0', async () => {
    const termTopic = uniqueName('ndb-flt-deadline');
    extraQueues.push(termTopic, `${termTopic}.term`);
    const clientBus = testBus(uniqueName('ndb-flt-deadline-client'), capturingLogger().logger);
    await clientBus.start();
    const client = new RpcClient({ bus: clientBus, exchange: 'nova', topic: termTopic, server: 'term', timeoutMs: 20_000, flags: DEFAULT_TOPOLOGY_FLAGS });
    const proc = await startEchoServer(termTopic, 'term', { SHUTDOWN_DEADLINE_MS: '500' });
    try {
      const slow = client.call('slow', { seconds: 10 });
      slow.catch(() => undefined);
      // Nothing outside the process shows that the call started (it is acked on arrival); a second is plenty.
      await new Promise((r) => setTimeout(r, 1000));
      const started = Date.now();
      proc.child.kill('SIGTERM');
      const e = await slow.then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(RemoteRpcError);
      expect(e as RemoteRpcError).toMatchObject({ code: 'ERR_SHUTTING_DOWN', remoteModule: 'nova_docker_bridge.exception', remoteClass: 'ShuttingDown' });
      expect(await waitForExit(proc.child, 10_000)).toBe(0);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(proc.lines).toContain('STOPPED finished=false');
    } finally {
      if (proc.child.exitCode === null) {
        proc.child.kill('SIGKILL');
        await waitForExit(proc.child, 5000);
      }
      await client.close();
      await clientBus.close();
    }
  });
});

interface EchoServerProcess {
  child: ChildProcessWithoutNullStreams;
  lines: string[];
}

/** Runs test/fixtures/run-echo-server.ts in its own process and waits for READY. */
async function startEchoServer(echoTopic: string, name: string, env: Record<string, string> = {}): Promise<EchoServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/run-echo-server.ts', TRANSPORT_URL, echoTopic, name], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-5000);
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`run-echo-server.ts not READY within 30 s: ${stderr}`)), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`run-echo-server.ts exited (${code}) before READY: ${stderr}`));
    });
    createInterface({ input: child.stdout }).on('line', (l) => {
      lines.push(l);
      if (l === 'READY') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return { child, lines };
}
