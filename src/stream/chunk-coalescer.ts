/**
 * Gathers the small chunks a socket or a pipe delivers (Glance sends its image
 * data 64 KiB at a time, pipes hold 64 KiB) into chunks of at least
 * `minBytes`, so that every stage after it (hashing, the archive inspector,
 * the write into `docker load` or to Glance) runs once per MiB instead of 16
 * times: measured on a 1 GiB spawn-time load, the per-chunk writes into
 * dockerd's socket cost more than copying the bytes once here (see
 * docs/performance.md). A chunk that is already large enough passes unchanged
 * and uncopied when nothing is pending, so a file read in 1 MiB chunks costs
 * nothing. Memory: at most `minBytes` plus one chunk are held.
 */
import { Transform } from 'node:stream';
import { STREAM_CHUNK_BYTES } from './byte-tap.js';

function checkedSize(minBytes: number): number {
  if (!Number.isInteger(minBytes) || minBytes < 1) throw new RangeError(`ChunkCoalescer: minBytes must be a positive integer, got ${minBytes}`);
  return minBytes;
}

export class ChunkCoalescer extends Transform {
  private parts: Buffer[] = [];
  private pending = 0;

  /** `minBytes`: the smallest chunk passed on, except the last one (default 1 MiB). */
  constructor(private readonly minBytes: number = STREAM_CHUNK_BYTES) {
    super({ highWaterMark: checkedSize(minBytes) });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    if (this.pending === 0 && chunk.length >= this.minBytes) {
      cb(null, chunk);
      return;
    }
    this.parts.push(chunk);
    this.pending += chunk.length;
    if (this.pending >= this.minBytes) cb(null, this.joinPending());
    else cb();
  }

  override _flush(cb: (err?: Error | null, data?: Buffer) => void): void {
    if (this.pending > 0) cb(null, this.joinPending());
    else cb();
  }

  private joinPending(): Buffer {
    const out = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.pending);
    this.parts = [];
    this.pending = 0;
    return out;
  }
}
