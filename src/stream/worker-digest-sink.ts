/**
 * Hashes what is written to it, like {@link DigestSink} (md5 = Glance's
 * `checksum`, sha512 = its `os_hash_value`, plus the byte count), but off the
 * main thread, on the process's hashing threads (./hash-workers.ts). A
 * download that Glance describes with sha512 needs only that digest
 * (`algorithms`).
 *
 * Why: md5 + sha512 of one stream cost about 5 CPU-seconds per GiB on one
 * core (193 MiB/s here), which capped `glance-docker import` and the
 * spawn-time download, because the main thread also moves the bytes, parses
 * the tar and hashes layers. On a thread the digests run beside the transfer.
 *
 * How, with bounded memory: the bytes are copied into this sink's fixed pool
 * of SharedArrayBuffer blocks (default 4 × 1 MiB). A full block goes to the
 * thread by index (no per-chunk allocation or transfer) and returns to the
 * pool when the thread acknowledged it. When no block is free, writes wait:
 * backpressure reaches the source, so memory stays at the pool's size however
 * fast the source is. Copying (not transferring) the caller's chunk is
 * deliberate: the same chunk is also on its way to the upload and the archive
 * inspector.
 */
import { Writable } from 'node:stream';
import type { Digests } from './digest-sink.js';
import { HASH_ALGORITHMS, hashWorkers, type HashAlgorithm, type HashSession, type HashWorkers } from './hash-workers.js';

/** Options of {@link WorkerDigestSink}. */
export interface WorkerDigestSinkOptions {
  /** Bytes per shared block. Default 1 MiB. */
  readonly blockBytes?: number;
  /** Blocks in the pool (the bound on buffered bytes). Default 4. */
  readonly blocks?: number;
  /** The digests to compute (default md5 and sha512); the others are null in the result. */
  readonly algorithms?: readonly HashAlgorithm[];
  /** The hashing threads (default: the process's). */
  readonly workers?: HashWorkers;
}

export class WorkerDigestSink extends Writable {
  private readonly blockBytes: number;
  private readonly pool: SharedArrayBuffer[];
  private readonly views: Buffer[];
  private readonly free: number[];
  private readonly workers: HashWorkers;
  private readonly algorithms: readonly HashAlgorithm[];
  private session: HashSession | null = null;
  private current: number | null = null;
  private fill = 0;
  private count = 0;
  private readonly hex = new Map<HashAlgorithm, string>();
  private result: Digests | null = null;
  private failure: Error | null = null;
  /** Wakes whoever waits (for a free block, or for the digests). */
  private wake: (() => void) | null = null;
  /** Highest number of blocks the thread held at once (tests check the bound). */
  private peakInFlight = 0;

  constructor(options: WorkerDigestSinkOptions = {}) {
    super({ highWaterMark: options.blockBytes ?? 1024 * 1024 });
    this.blockBytes = options.blockBytes ?? 1024 * 1024;
    const blocks = Math.max(2, options.blocks ?? 4);
    this.pool = Array.from({ length: blocks }, () => new SharedArrayBuffer(this.blockBytes));
    this.views = this.pool.map((sab) => Buffer.from(sab));
    this.free = this.pool.map((_b, i) => i);
    this.workers = options.workers ?? hashWorkers;
    this.algorithms = [...new Set(options.algorithms ?? HASH_ALGORITHMS)];
    if (this.algorithms.length === 0) throw new Error('WorkerDigestSink: no hash algorithm');
  }

  /** The digests; only after the sink finished. */
  get digests(): Digests {
    if (this.result === null) throw new Error('WorkerDigestSink: digests read before the stream ended');
    return this.result;
  }

  /** The most blocks the thread held at once (≤ the pool size). */
  get maxBlocksInFlight(): number {
    return this.peakInFlight;
  }

  private open(): HashSession {
    this.session ??= this.workers.open(this.pool, this.algorithms, {
      ack: (index) => {
        this.free.push(index);
        this.signal();
      },
      digests: (hex) => {
        for (const a of this.algorithms) {
          const h = hex[a];
          if (h !== undefined) this.hex.set(a, h);
        }
        this.signal();
      },
      failed: (err) => {
        this.failure ??= err;
        this.signal();
        if (!this.destroyed) this.destroy(err);
      },
    });
    return this.session;
  }

  private signal(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async until(ready: () => boolean): Promise<void> {
    while (!ready()) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    if (this.failure) throw this.failure;
  }

  /** Hands the current block to the thread. */
  private dispatch(): void {
    if (this.current === null || this.fill === 0) return;
    const index = this.current;
    this.open().block(index, this.fill);
    this.peakInFlight = Math.max(this.peakInFlight, this.pool.length - this.free.length);
    this.current = null;
    this.fill = 0;
  }

  private async copyIn(chunk: Buffer): Promise<void> {
    this.open();
    let offset = 0;
    while (offset < chunk.length) {
      if (this.current === null) {
        await this.until(() => this.free.length > 0);
        this.current = this.free.shift() as number;
        this.fill = 0;
      }
      const view = this.views[this.current] as Buffer;
      const n = chunk.copy(view, this.fill, offset, Math.min(chunk.length, offset + this.blockBytes - this.fill));
      this.fill += n;
      offset += n;
      if (this.fill === this.blockBytes) this.dispatch();
    }
    this.count += chunk.length;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.copyIn(chunk).then(
      () => cb(),
      (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
    );
  }

  override _final(cb: (err?: Error | null) => void): void {
    (async () => {
      const session = this.open();
      this.dispatch();
      session.end();
      await this.until(() => this.hex.size === this.algorithms.length);
      this.result = { md5: this.hex.get('md5') ?? null, sha512: this.hex.get('sha512') ?? null, bytes: this.count };
    })().then(
      () => cb(),
      (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
    );
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // The thread drops this stream's hash state; the blocks are garbage once it lets go.
    this.session?.close();
    cb(err);
  }
}
