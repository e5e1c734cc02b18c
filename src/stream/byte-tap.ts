/**
 * A pass-through that reports every chunk's size: feeds stall watchdogs and
 * progress meters without copying data or changing the flow.
 */
import { Transform } from 'node:stream';

/** Large buffers keep per-chunk overhead (hashing calls, HTTP chunk headers) low. */
export const STREAM_CHUNK_BYTES = 1024 * 1024;

export class ByteTap extends Transform {
  private total = 0;

  constructor(private readonly onBytes: (chunkBytes: number, totalBytes: number) => void) {
    super({ highWaterMark: STREAM_CHUNK_BYTES });
  }

  /** Bytes passed so far. */
  get bytes(): number {
    return this.total;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.total += chunk.length;
    try {
      this.onBytes(chunk.length, this.total);
    } catch (err) {
      cb(err as Error);
      return;
    }
    cb(null, chunk);
  }
}
