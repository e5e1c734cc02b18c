import { createHash } from 'node:crypto';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { DigestSink } from '../../../src/stream/digest-sink.js';
import { SideTee } from '../../../src/stream/side-tee.js';
import { StallWatchdog } from '../../../src/stream/stall-watchdog.js';

function collector(): { sink: Writable; data: () => Buffer } {
  const chunks: Buffer[] = [];
  return {
    sink: new Writable({
      write(c: Buffer, _e, cb) {
        chunks.push(c);
        cb();
      },
    }),
    data: () => Buffer.concat(chunks),
  };
}

describe('SideTee + DigestSink', () => {
  it('passes every byte on and hashes the same bytes', async () => {
    const data = Buffer.alloc(3_000_000, 7);
    const digest = new DigestSink();
    const slowSide = new Writable({
      highWaterMark: 1,
      write(_c, _e, cb) {
        setImmediate(cb);
      },
    });
    const out = collector();
    await pipeline(Readable.from([data.subarray(0, 1_000_000), data.subarray(1_000_000)]), new SideTee([digest, slowSide]), out.sink);
    expect(out.data().equals(data)).toBe(true);
    expect(digest.digests).toEqual({
      md5: createHash('md5').update(data).digest('hex'),
      sha512: createHash('sha512').update(data).digest('hex'),
      bytes: data.length,
    });
  });

  it('a side failing at the end fails the stream before its consumer sees the end', async () => {
    const verdict = new Writable({
      write(_c, _e, cb) {
        cb();
      },
      final(cb) {
        cb(new Error('manifest names a missing layer'));
      },
    });
    const out = collector();
    let ended = false;
    const tee = new SideTee([verdict]);
    tee.on('end', () => (ended = true));
    await expect(pipeline(Readable.from([Buffer.from('abc')]), tee, out.sink)).rejects.toThrow(/missing layer/);
    expect(ended).toBe(false);
  });

  it('a side failing mid-stream destroys the source', async () => {
    const bad = new Writable({
      write(_c, _e, cb) {
        cb(new Error('hostile entry'));
      },
    });
    const src = new PassThrough();
    src.write(Buffer.from('x'));
    const p = pipeline(src, new SideTee([bad]), collector().sink);
    await expect(p).rejects.toThrow(/hostile entry/);
    expect(src.destroyed).toBe(true);
  });

  it('DigestSink refuses to answer before the end', () => {
    expect(() => new DigestSink().digests).toThrow(/before the stream ended/);
  });
});

describe('StallWatchdog', () => {
  it('fires once after silence, not while kicked', async () => {
    let fired = 0;
    const w = new StallWatchdog(60, () => fired++);
    w.start();
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 25));
      w.kick();
    }
    expect(fired).toBe(0);
    await new Promise((r) => setTimeout(r, 120));
    expect(fired).toBe(1);
    expect(w.hasFired).toBe(true);
    w.start();
    await new Promise((r) => setTimeout(r, 120));
    expect(fired).toBe(1);
  });

  it('stop() prevents firing', async () => {
    let fired = 0;
    const w = new StallWatchdog(20, () => fired++);
    w.start();
    w.stop();
    await new Promise((r) => setTimeout(r, 60));
    expect(fired).toBe(0);
  });
});
