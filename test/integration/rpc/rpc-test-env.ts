/**
 * What the RPC integration tests share: the Python oslo.messaging peers of
 * test/interop (a long-lived client driven over stdin/stdout and a real RPC
 * server), buses with fast reconnection, a capturing logger, broker clean-up
 * and a way to find one of our connections in the broker.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import amqp from 'amqplib';
import { createLogger, type Logger } from '../../../src/log/logger.js';
import { AmqpBus } from '../../../src/rpc/amqp-bus.js';
import { parseTransportUrl } from '../../../src/rpc/transport-url.js';
import { AMQP_URL, PYTHON, rabbitmqctl, REPO_ROOT, TRANSPORT_URL, uniqueName } from '../../helpers/services.js';

export { AMQP_URL, TRANSPORT_URL, uniqueName };
export { waitFor } from '../../helpers/services.js';

export const INTEROP_DIR = `${REPO_ROOT}test/interop/`;

/** How long a Python process may take to import oslo.messaging and connect (2 cores, shared with other tests). */
const PYTHON_START_MS = 30_000;

/** What a Python caller saw: a result, or the exception it raised (as py_rpc_peer.py describes it). */
export type PeerResult =
  | { ok: true; result: unknown; elapsed: number }
  | { ok: false; error: PeerError; elapsed: number };

export interface PeerError {
  module: string;
  class: string;
  str: string;
  mro: string[];
  args: unknown[];
  kwargs?: Record<string, unknown>;
  /** RemoteError only: the remote class name and message. */
  exc_type?: string;
  value?: string;
}

/** A request for py_rpc_peer.py (see its docstring). */
export interface PeerCommand {
  exchange: string;
  topic: string;
  server?: string | null;
  method: string;
  args?: Record<string, unknown>;
  context?: Record<string, unknown>;
  version?: string;
  namespace?: string;
  timeout?: number;
  call_monitor_timeout?: number;
  allowed_remote_exmods?: string[];
  fanout?: boolean;
}

/** Lines of a child's stdout, with a way to wait for one. */
class LineWatcher {
  readonly lines: string[] = [];
  /** Called for every line after the ones already seen. */
  onLine: ((line: string) => void) | undefined;
  private readonly waiters = new Set<{ test: (l: string) => boolean; resolve: (l: string) => void }>();

  push(line: string): void {
    this.lines.push(line);
    this.onLine?.(line);
    for (const w of this.waiters) {
      if (w.test(line)) {
        this.waiters.delete(w);
        w.resolve(line);
      }
    }
  }

  /** Resolves with the first line (already seen or future) that passes `test`. */
  wait(test: (l: string) => boolean, timeoutMs: number, what: string, describe: () => string): Promise<string> {
    const seen = this.lines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = {
        test,
        resolve: (l: string) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${describe()}`));
      }, timeoutMs);
      this.waiters.add(w);
    });
  }
}

/** Starts a Python script of test/interop and waits for its READY line; fails with its stderr if it dies first. */
async function startPython(script: string, args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; out: LineWatcher; stderr: () => string }> {
  const child = spawn(PYTHON, [`${INTEROP_DIR}${script}`, ...args], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const out = new LineWatcher();
  let err = '';
  child.stderr.on('data', (b: Buffer) => {
    err = (err + b.toString('utf8')).slice(-20_000);
  });
  createInterface({ input: child.stdout }).on('line', (l) => out.push(l));
  const stderr = (): string => err.trim().slice(-3000);
  const died = new Promise<never>((_, reject) => {
    child.once('error', (e) => reject(new Error(`cannot run ${PYTHON} ${script}: ${e.message}`)));
    child.once('exit', (code, signal) => reject(new Error(`${script} exited (${code ?? signal}) before READY: ${stderr()}`)));
  });
  died.catch(() => undefined);
  await Promise.race([out.wait((l) => l === 'READY', PYTHON_START_MS, `${script} READY`, () => `stderr: ${stderr()}`), died]);
  return { child, out, stderr };
}

/** Waits for a child to exit; SIGKILLs it after `timeoutMs`. Resolves with its exit code (null when killed). */
export function waitForExit(child: ChildProcessWithoutNullStreams, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/**
 * test/interop/py_rpc_peer.py: one Python oslo.messaging RPC client process for a
 * whole test file. Requests may overlap.
 */
export class PyPeer {
  private nextId = 1;
  private readonly pending = new Map<number, (r: PeerResult) => void>();

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    out: LineWatcher,
    private readonly stderr: () => string,
  ) {
    out.onLine = (line) => {
      if (!line.startsWith('{')) return;
      const msg = JSON.parse(line) as PeerResult & { id: number };
      this.pending.get(msg.id)?.(msg);
      this.pending.delete(msg.id);
    };
    child.once('exit', (code, signal) => {
      for (const [, done] of this.pending) {
        done({ ok: false, elapsed: 0, error: { module: 'test', class: 'PeerDied', str: `py_rpc_peer exited (${code ?? signal}): ${stderr()}`, mro: [], args: [] } });
      }
      this.pending.clear();
    });
  }

  static async start(url = TRANSPORT_URL): Promise<PyPeer> {
    const { child, out, stderr } = await startPython('py_rpc_peer.py', [url]);
    return new PyPeer(child, out, stderr);
  }

  /** RPCClient.call; resolves with what the Python caller got (never rejects for a remote error). */
  call(cmd: PeerCommand, waitMs = 60_000): Promise<PeerResult> {
    return this.send({ ...cmd, op: 'call' }, waitMs);
  }

  /** RPCClient.cast (fanout when cmd.fanout). */
  cast(cmd: PeerCommand, waitMs = 30_000): Promise<PeerResult> {
    return this.send({ ...cmd, op: 'cast' }, waitMs);
  }

  /** call() that must succeed: returns the result or throws with the Python exception. */
  async callOk(cmd: PeerCommand): Promise<unknown> {
    const r = await this.call(cmd);
    if (!r.ok) throw new Error(`Python call ${cmd.method} raised ${r.error.module}.${r.error.class}: ${r.error.str.split('\n')[0]}`);
    return r.result;
  }

  private send(cmd: Record<string, unknown>, waitMs: number): Promise<PeerResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`py_rpc_peer gave no answer to ${JSON.stringify(cmd)} within ${waitMs} ms; stderr: ${this.stderr()}`));
      }, waitMs);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.child.stdin.write(`${JSON.stringify({ ...cmd, id })}\n`);
    });
  }

  async close(): Promise<void> {
    this.child.stdin.end();
    await waitForExit(this.child, 10_000);
  }
}

/** A cast or fanout a Python server received (its `CAST <json>` line). */
export interface PyCast {
  method: string;
  args: Record<string, unknown>;
  context: Record<string, unknown>;
}

/** test/interop/py_rpc_server.py: a real oslo.messaging RPC server. */
export class PyServer {
  private constructor(
    readonly child: ChildProcessWithoutNullStreams,
    private readonly out: LineWatcher,
    readonly stderr: () => string,
  ) {}

  static async start(exchange: string, topic: string, server: string, url = TRANSPORT_URL): Promise<PyServer> {
    const { child, out, stderr } = await startPython('py_rpc_server.py', [url, exchange, topic, server]);
    return new PyServer(child, out, stderr);
  }

  get casts(): PyCast[] {
    return this.out.lines.filter((l) => l.startsWith('CAST ')).map((l) => JSON.parse(l.slice(5)) as PyCast);
  }

  /** Waits for a cast whose args match `predicate`. */
  async waitForCast(predicate: (c: PyCast) => boolean, timeoutMs = 10_000): Promise<PyCast> {
    const line = await this.out.wait(
      (l) => l.startsWith('CAST ') && predicate(JSON.parse(l.slice(5)) as PyCast),
      timeoutMs,
      'a matching cast on the Python server',
      () => `casts seen: ${JSON.stringify(this.casts)}`,
    );
    return JSON.parse(line.slice(5)) as PyCast;
  }

  /** SIGTERM, then wait: oslo stops consuming, finishes running requests and deletes its fanout queue. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    return waitForExit(this.child, 20_000);
  }
}

/** A line-capturing logger (JSON lines), for asserting what the server logged. */
export function capturingLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const raw: string[] = [];
  const logger = createLogger({ format: 'json', level: 'debug', write: (l) => raw.push(l) });
  return { logger, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** An AmqpBus on the test broker that reconnects quickly, named so rabbitmqctl can find it. */
export function testBus(connectionName: string, logger: Logger): AmqpBus {
  return new AmqpBus({
    url: parseTransportUrl(TRANSPORT_URL),
    logger,
    heartbeatSeconds: 60,
    retryIntervalSeconds: 0.2,
    retryBackoffSeconds: 0.2,
    intervalMaxSeconds: 1,
    publishTimeoutMs: 10_000,
    connectionName,
  });
}

/** The broker's pid of the connection whose client property connection_name is `name`, or undefined. */
export async function connectionPid(name: string): Promise<string | undefined> {
  const out = await rabbitmqctl(['list_connections', 'pid', 'client_properties']);
  const line = out.split('\n').find((l) => l.includes(`{"connection_name","${name}"}`));
  return line?.split('\t')[0];
}

/** Makes the broker drop a connection (by its broker pid), as a broker-side failure would. */
export async function closeConnectionPid(pid: string): Promise<void> {
  await rabbitmqctl(['close_connection', pid, 'nova-docker-bridge test: simulated broker-side close']);
}

/** Finds our connection by its connection_name and makes the broker drop it. */
export async function closeConnection(name: string): Promise<void> {
  const pid = await connectionPid(name);
  if (!pid) throw new Error(`no broker connection with connection_name ${name}`);
  await closeConnectionPid(pid);
}

/** Deletes queues and exchanges a test created (missing ones are fine). */
export async function deleteTopology(opts: { queues?: string[]; exchanges?: string[] }): Promise<void> {
  const conn = await amqp.connect(AMQP_URL);
  try {
    for (const q of opts.queues ?? []) {
      const ch = await conn.createChannel();
      await ch.deleteQueue(q).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
    for (const x of opts.exchanges ?? []) {
      const ch = await conn.createChannel();
      await ch.deleteExchange(x).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** Message count of a queue (passive check). */
export async function queueDepth(queue: string): Promise<number> {
  const conn = await amqp.connect(AMQP_URL);
  try {
    const ch = await conn.createChannel();
    return (await ch.checkQueue(queue)).messageCount;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** A test-unique control exchange and topic, so files never share queues with each other or with Nova. */
export function testNames(prefix: string): { exchange: string; topic: string } {
  return { exchange: uniqueName(`${prefix}-x`), topic: uniqueName(`${prefix}-t`) };
}
