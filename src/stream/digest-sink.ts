/**
 * Hashes what is written to it: md5 (Glance's `checksum`) and sha512 (its
 * `os_hash_value`, the algorithm Glance's default `hashing_algorithm` uses),
 * plus the byte count, on this thread. Each digest is real CPU beside the
 * transfer (md5 ~1.4 s per GiB here), so callers compute only the ones they
 * compare; WorkerDigestSink does the same off the event loop.
 */
import { createHash, type Hash } from 'node:crypto';
import { Writable } from 'node:stream';
import type { HashAlgorithm } from './hash-workers.js';

/** Hex digests of everything written; null for an algorithm that was not computed (the sinks' `algorithms` option). */
export interface Digests {
  readonly md5: string | null;
  readonly sha512: string | null;
  readonly bytes: number;
}

export class DigestSink extends Writable {
  private readonly md5: Hash | null;
  private readonly sha512: Hash | null;
  private count = 0;
  private result: Digests | null = null;

  /** `algorithms`: the digests to compute (default md5 and sha512); the others are null in the result. */
  constructor(options: { algorithms?: readonly HashAlgorithm[] } = {}) {
    super({ highWaterMark: 1024 * 1024 });
    const algorithms = options.algorithms ?? ['md5', 'sha512'];
    this.md5 = algorithms.includes('md5') ? createHash('md5') : null;
    this.sha512 = algorithms.includes('sha512') ? createHash('sha512') : null;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.md5?.update(chunk);
    this.sha512?.update(chunk);
    this.count += chunk.length;
    cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.result = { md5: this.md5?.digest('hex') ?? null, sha512: this.sha512?.digest('hex') ?? null, bytes: this.count };
    cb();
  }

  /** The digests; only after the sink finished. */
  get digests(): Digests {
    if (this.result === null) throw new Error('DigestSink: digests read before the stream ended');
    return this.result;
  }
}
