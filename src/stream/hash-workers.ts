/**
 * The process's hashing threads, started on first use and kept for later
 * streams: starting a thread costs tens to hundreds of milliseconds (a V8
 * isolate and Node's bootstrap) and about 9 MB of memory, and a compute host
 * hashes every image it downloads.
 *
 * Streams hash through sessions: each opens one with its own pool of
 * SharedArrayBuffer blocks, then names blocks by index. A session lives on one
 * thread, which computes all its digests (md5 + sha512 together run at about
 * 190 MiB/s on one core here, above what one Glance worker accepts or
 * `docker load` takes, so one thread per stream is enough). A second stream
 * gets its own thread while there are spare cores (up to `maxThreads`),
 * otherwise it shares the least busy one.
 *
 * The threads keep the process alive only while a session is open, so a
 * command that is done exits even though the threads stay.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';

export const HASH_ALGORITHMS = ['md5', 'sha512'] as const;
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];

/** What a session hears back. */
export interface SessionEvents {
  /** The thread is done with block `index`. */
  ack(index: number): void;
  /** The digests after `end`, by algorithm. */
  digests(hex: Readonly<Partial<Record<HashAlgorithm, string>>>): void;
  /** The thread died; the session is over. */
  failed(err: Error): void;
}

/** An open session: feeds blocks, ends or abandons the stream. */
export interface HashSession {
  /** Hash `length` bytes of block `index` with every algorithm of the session. */
  block(index: number, length: number): void;
  /** Ask for the digests (they arrive through `digests`). */
  end(): void;
  /** Abandon the stream (nothing more arrives); idempotent. */
  close(): void;
}

/**
 * The thread: per session, one hash per algorithm over views of that
 * session's shared blocks. Plain CommonJS evaluated from a string, so it runs
 * the same under node, tsx and vitest (no module file to resolve).
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const sessions = new Map();
parentPort.on('message', (m) => {
  if (m.type === 'open') {
    sessions.set(m.session, { hashes: m.algorithms.map((a) => [a, createHash(a)]), views: m.blocks.map((sab) => Buffer.from(sab)) });
  } else if (m.type === 'block') {
    const s = sessions.get(m.session);
    if (s === undefined) return;
    const data = s.views[m.index].subarray(0, m.length);
    for (const [, h] of s.hashes) h.update(data);
    parentPort.postMessage({ type: 'ack', session: m.session, index: m.index });
  } else if (m.type === 'end') {
    const s = sessions.get(m.session);
    sessions.delete(m.session);
    if (s !== undefined) parentPort.postMessage({ type: 'digests', session: m.session, hex: Object.fromEntries(s.hashes.map(([a, h]) => [a, h.digest('hex')])) });
  } else if (m.type === 'close') {
    sessions.delete(m.session);
  }
});
`;

type FromWorker = { type: 'ack'; session: number; index: number } | { type: 'digests'; session: number; hex: Partial<Record<HashAlgorithm, string>> };

interface Thread {
  readonly worker: Worker;
  readonly sessions: Set<number>;
}

/** Threads when none is given: one per spare core (one core stays for the transfer itself), at most 4. */
export function defaultHashThreads(cores = os.availableParallelism()): number {
  return Math.max(1, Math.min(4, cores - 1));
}

export class HashWorkers {
  private readonly threads: Thread[] = [];
  private readonly sessions = new Map<number, { events: SessionEvents; thread: Thread }>();
  private nextSession = 1;
  private referenced = false;

  constructor(private readonly maxThreads = defaultHashThreads()) {}

  /** Sessions open now. */
  get openSessions(): number {
    return this.sessions.size;
  }

  /** Threads running now. */
  get threadCount(): number {
    return this.threads.length;
  }

  /** True while the threads keep the process alive (some session is open). */
  get keepsProcessAlive(): boolean {
    return this.referenced;
  }

  /** Opens a session hashing with `algorithms`. */
  open(blocks: readonly SharedArrayBuffer[], algorithms: readonly HashAlgorithm[], events: SessionEvents): HashSession {
    if (algorithms.length === 0) throw new Error('a hash session needs at least one algorithm');
    const session = this.nextSession++;
    const thread = this.pick();
    thread.sessions.add(session);
    this.sessions.set(session, { events, thread });
    this.updateRef();
    thread.worker.postMessage({ type: 'open', session, blocks, algorithms });
    let open = true;
    return {
      block: (index, length) => {
        if (!open) throw new Error('hash session already ended');
        thread.worker.postMessage({ type: 'block', session, index, length });
      },
      end: () => {
        if (!open) return;
        open = false;
        thread.worker.postMessage({ type: 'end', session });
      },
      close: () => {
        if (!this.sessions.has(session)) return;
        open = false;
        thread.worker.postMessage({ type: 'close', session });
        this.forget(session);
      },
    };
  }

  /** Stops the threads; open sessions fail (tests; a process that exits needs no call). */
  async shutdown(): Promise<void> {
    const ts = this.threads.splice(0);
    this.failSessions(new Set(ts), new Error('the hashing threads were shut down'));
    await Promise.all(ts.map((t) => t.worker.terminate()));
  }

  /** An idle thread, a new one while under the limit, else the least busy. */
  private pick(): Thread {
    const idle = this.threads.find((t) => t.sessions.size === 0);
    if (idle) return idle;
    if (this.threads.length < this.maxThreads) return this.start();
    return this.threads.reduce((a, b) => (b.sessions.size < a.sessions.size ? b : a));
  }

  private start(): Thread {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    const thread: Thread = { worker, sessions: new Set() };
    worker.on('message', (m: FromWorker) => {
      const s = this.sessions.get(m.session);
      if (s === undefined) return;
      if (m.type === 'ack') {
        s.events.ack(m.index);
      } else {
        this.forget(m.session);
        s.events.digests(m.hex);
      }
    });
    const died = (err: Error): void => {
      const i = this.threads.indexOf(thread);
      if (i < 0) return;
      this.threads.splice(i, 1);
      // Its sessions lost their hash state: they fail; later streams get a new thread.
      this.failSessions(new Set([thread]), err);
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`a hashing thread exited (code ${code})`)));
    this.threads.push(thread);
    return thread;
  }

  private failSessions(threads: ReadonlySet<Thread>, err: Error): void {
    for (const [session, s] of [...this.sessions]) {
      if (!threads.has(s.thread)) continue;
      this.forget(session);
      s.events.failed(err);
    }
  }

  private forget(session: number): void {
    const s = this.sessions.get(session);
    if (s === undefined) return;
    s.thread.sessions.delete(session);
    this.sessions.delete(session);
    this.updateRef();
  }

  private updateRef(): void {
    const want = this.sessions.size > 0;
    for (const t of this.threads) {
      if (want) t.worker.ref();
      else t.worker.unref();
    }
    this.referenced = want && this.threads.length > 0;
  }
}

/** The process's threads, shared by every stream. */
export const hashWorkers = new HashWorkers();
