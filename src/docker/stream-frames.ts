/**
 * Docker's multiplexed stream format (logs and exec output of containers
 * without a TTY): frames of an 8-byte header [stream, 0, 0, 0, size(u32 BE)]
 * followed by `size` payload bytes. Frames may be split across chunks.
 */

/** Incremental decoder: feed chunks, receive payloads. */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onPayload: (payload: Buffer, stream: number) => void) {}

  push(chunk: Buffer): void {
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      this.onPayload(buf.subarray(8, 8 + size), buf[0] as number);
      buf = buf.subarray(8 + size);
    }
    this.pending = Buffer.from(buf);
  }

  /** Bytes of an incomplete trailing frame (non-zero at end means a truncated stream). */
  get leftover(): number {
    return this.pending.length;
  }
}

/** Keeps the last `maxBytes` bytes of everything appended. */
export class TailBuffer {
  private parts: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly maxBytes: number) {}

  append(b: Buffer): void {
    if (this.maxBytes <= 0) {
      if (b.length > 0) this.truncated = true;
      return;
    }
    this.parts.push(Buffer.from(b));
    this.size += b.length;
    while (this.size > this.maxBytes && this.parts.length > 0) {
      const first = this.parts[0] as Buffer;
      const excess = this.size - this.maxBytes;
      this.truncated = true;
      if (first.length <= excess) {
        this.parts.shift();
        this.size -= first.length;
      } else {
        this.parts[0] = first.subarray(excess);
        this.size -= excess;
      }
    }
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Keeps the first `maxBytes` bytes of everything appended. */
export class HeadBuffer {
  private parts: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly maxBytes: number) {}

  append(b: Buffer): void {
    const room = this.maxBytes - this.size;
    if (room <= 0) {
      if (b.length > 0) this.truncated = true;
      return;
    }
    const piece = b.length > room ? b.subarray(0, room) : b;
    if (b.length > room) this.truncated = true;
    this.parts.push(Buffer.from(piece));
    this.size += piece.length;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Decodes a complete multiplexed buffer into its concatenated payloads. */
export function demultiplex(buf: Buffer): Buffer {
  const out: Buffer[] = [];
  const d = new FrameDecoder((p) => out.push(p));
  d.push(buf);
  return Buffer.concat(out);
}
