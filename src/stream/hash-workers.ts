/**
 * The process's hashing threads: one worker thread per algorithm (md5,
 * sha512), started on first use and kept for later streams, because starting
 * a thread costs tens to hundreds of milliseconds (a V8 isolate and Node's
 * bootstrap) and a compute host hashes every image it downloads.
 *
 * Several streams hash at once through sessions: each stream opens one with
 * its own pool of SharedArrayBuffer blocks, then names blocks by index. The
 * threads keep the process alive only while a session is open, so a command
 * that is done exits even though the threads stay for the next stream.
 */
import { Worker } from 'node:worker_threads';

export const HASH_ALGORITHMS = ['md5', 'sha512'] as const;
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];

/** What a session hears back. */
export interface SessionEvents {
  /** The worker of `algorithm` is done with block `index`. */
  ack(algorithm: HashAlgorithm, index: number): void;
  /** The digest after `end`. */
  digest(algorithm: HashAlgorithm, hex: string): void;
  /** A worker died; the session is over. */
  failed(err: Error): void;
}

/** An open session: feeds blocks, ends or abandons the stream. */
export interface HashSession {
  /** Hash `length` bytes of block `index` (every algorithm). */
  block(index: number, length: number): void;
  /** Ask for the digests (each arrives through `digest`); closes the session. */
  end(): void;
  /** Abandon the stream (nothing more arrives); idempotent. */
  close(): void;
}

/**
 * The worker: per session, a hash over views of that session's shared blocks.
 * Plain CommonJS evaluated from a string, so it runs the same under node, tsx
 * and vitest (no module file to resolve).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const sessions = new Map();
parentPort.on('message', (m) => {
  if (m.type === 'open') {
    sessions.set(m.session, { hash: createHash(workerData.algorithm), views: m.blocks.map((sab) => Buffer.from(sab)) });
  } else if (m.type === 'block') {
    const s = sessions.get(m.session);
    if (s === undefined) return;
    s.hash.update(s.views[m.index].subarray(0, m.length));
    parentPort.postMessage({ type: 'ack', session: m.session, index: m.index });
  } else if (m.type === 'end') {
    const s = sessions.get(m.session);
    sessions.delete(m.session);
    if (s !== undefined) parentPort.postMessage({ type: 'digest', session: m.session, hex: s.hash.digest('hex') });
  } else if (m.type === 'close') {
    sessions.delete(m.session);
  }
});
`;

type FromWorker = { type: 'ack'; session: number; index: number } | { type: 'digest'; session: number; hex: string };

export class HashWorkers {
  private readonly workers = new Map<HashAlgorithm, Worker>();
  private readonly sessions = new Map<number, SessionEvents>();
  /** Which digests each session still waits for. */
  private readonly pendingDigests = new Map<number, Set<HashAlgorithm>>();
  private nextSession = 1;
  private referenced = false;

  /** Sessions open now. */
  get openSessions(): number {
    return this.sessions.size;
  }

  /** True while the threads keep the process alive (some session is open). */
  get keepsProcessAlive(): boolean {
    return this.referenced;
  }

  /** Opens a session hashing with `algorithms` (each on its own thread). */
  open(blocks: readonly SharedArrayBuffer[], algorithms: readonly HashAlgorithm[], events: SessionEvents): HashSession {
    if (algorithms.length === 0) throw new Error('a hash session needs at least one algorithm');
    const session = this.nextSession++;
    this.sessions.set(session, events);
    this.pendingDigests.set(session, new Set(algorithms));
    this.updateRef();
    for (const algorithm of algorithms) this.worker(algorithm).postMessage({ type: 'open', session, blocks });
    let open = true;
    const finish = (type: 'end' | 'close'): void => {
      if (!open) return;
      open = false;
      for (const algorithm of algorithms) this.workers.get(algorithm)?.postMessage({ type, session });
      if (type === 'close') this.forget(session);
    };
    return {
      block: (index, length) => {
        if (!open) throw new Error('hash session already ended');
        for (const algorithm of algorithms) this.worker(algorithm).postMessage({ type: 'block', session, index, length });
      },
      end: () => finish('end'),
      close: () => finish('close'),
    };
  }

  /** Stops the threads; open sessions fail (tests; a process that exits needs no call). */
  async shutdown(): Promise<void> {
    const ws = [...this.workers.values()];
    this.workers.clear();
    this.failAll(new Error('the hashing threads were shut down'));
    await Promise.all(ws.map((w) => w.terminate()));
  }

  private failAll(err: Error): void {
    for (const [session, events] of [...this.sessions]) {
      this.forget(session);
      events.failed(err);
    }
  }

  private worker(algorithm: HashAlgorithm): Worker {
    let w = this.workers.get(algorithm);
    if (w !== undefined) return w;
    w = new Worker(WORKER_SOURCE, { eval: true, workerData: { algorithm } });
    const self = w;
    w.on('message', (m: FromWorker) => {
      const events = this.sessions.get(m.session);
      if (events === undefined) return;
      if (m.type === 'ack') {
        events.ack(algorithm, m.index);
      } else {
        events.digest(algorithm, m.hex);
        this.digested(m.session, algorithm);
      }
    });
    const died = (err: Error): void => {
      if (this.workers.get(algorithm) !== self) return;
      this.workers.delete(algorithm);
      // Every open session lost this thread's hash state: all of them fail; the next stream starts a new thread.
      this.failAll(err);
    };
    w.on('error', died);
    w.on('exit', (code) => died(new Error(`the ${algorithm} hashing thread exited (code ${code})`)));
    this.workers.set(algorithm, w);
    this.updateRef();
    return w;
  }

  private digested(session: number, algorithm: HashAlgorithm): void {
    const pending = this.pendingDigests.get(session);
    pending?.delete(algorithm);
    if (pending === undefined || pending.size === 0) this.forget(session);
  }

  private forget(session: number): void {
    this.sessions.delete(session);
    this.pendingDigests.delete(session);
    this.updateRef();
  }

  private updateRef(): void {
    const want = this.sessions.size > 0;
    for (const w of this.workers.values()) {
      if (want) w.ref();
      else w.unref();
    }
    this.referenced = want && this.workers.size > 0;
  }
}

/** The process's threads, shared by every stream. */
export const hashWorkers = new HashWorkers();
