/**
 * A pass-through that also feeds every chunk to side writers (hashers, the
 * archive inspector), honouring each side's backpressure. A chunk goes on to
 * the consumer first and to the sides right after: the consumer is usually a
 * socket, and handing it the bytes before hashing them keeps the peer busy
 * while this thread hashes. At the end it waits for every side to finish, so a side's
 * verdict (e.g. "manifest names a missing layer", known only after the last
 * byte) fails the stream before its consumer sees the end. A failing side
 * fails the whole stream at once.
 */
import { Transform, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { STREAM_CHUNK_BYTES } from './byte-tap.js';

export class SideTee extends Transform {
  constructor(private readonly sides: readonly Writable[]) {
    super({ highWaterMark: STREAM_CHUNK_BYTES });
    for (const side of sides) {
      side.on('error', (err: Error) => {
        if (!this.destroyed) this.destroy(err);
      });
    }
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    // Chunks are never modified after this, so the consumer and the sides can share one.
    this.push(chunk);
    let pending = 1;
    const done = (): void => {
      if (--pending === 0) cb();
    };
    for (const side of this.sides) {
      if (!side.write(chunk)) {
        pending++;
        side.once('drain', done);
      }
    }
    done();
  }

  override _flush(cb: (err?: Error | null) => void): void {
    Promise.all(
      this.sides.map((side) => {
        const done = finished(side);
        side.end();
        return done;
      }),
    ).then(
      () => cb(),
      (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
    );
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    for (const side of this.sides) if (!side.destroyed) side.destroy(err ?? undefined);
    cb(err);
  }
}
