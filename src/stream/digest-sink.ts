/**
 * Hashes what is written to it: md5 (Glance's `checksum`) and sha512 (its
 * `os_hash_value`, the algorithm Glance's default `hashing_algorithm` uses),
 * plus the byte count. Node's digests are native; both in one pass cost far
 * less than the transfer itself.
 */
import { createHash, type Hash } from 'node:crypto';
import { Writable } from 'node:stream';

/** Hex digests of everything written; null for an algorithm that was not computed (see WorkerDigestSink's `algorithms`). */
export interface Digests {
  readonly md5: string | null;
  readonly sha512: string | null;
  readonly bytes: number;
}

export class DigestSink extends Writable {
  private readonly md5: Hash = createHash('md5');
  private readonly sha512: Hash = createHash('sha512');
  private count = 0;
  private result: Digests | null = null;

  constructor() {
    super({ highWaterMark: 1024 * 1024 });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.md5.update(chunk);
    this.sha512.update(chunk);
    this.count += chunk.length;
    cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.result = { md5: this.md5.digest('hex'), sha512: this.sha512.digest('hex'), bytes: this.count };
    cb();
  }

  /** The digests; only after the sink finished. */
  get digests(): Digests {
    if (this.result === null) throw new Error('DigestSink: digests read before the stream ended');
    return this.result;
  }
}
