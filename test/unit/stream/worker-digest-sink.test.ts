import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { SideTee } from '../../../src/stream/side-tee.js';
import { defaultHashThreads, HashWorkers, hashWorkers } from '../../../src/stream/hash-workers.js';
import { WorkerDigestSink } from '../../../src/stream/worker-digest-sink.js';

const BLOCK = 4096;

function expected(data: Buffer): { md5: string; sha512: string; bytes: number } {
  return { md5: createHash('md5').update(data).digest('hex'), sha512: createHash('sha512').update(data).digest('hex'), bytes: data.length };
}

/** Splits `data` into chunks of the given sizes (cycled). */
function chunked(data: Buffer, sizes: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0, i = 0; off < data.length; i++) {
    const n = sizes[i % sizes.length] as number;
    out.push(data.subarray(off, off + n));
    off += n;
  }
  return out;
}

describe('WorkerDigestSink (md5 and sha512 in worker threads, bounded shared blocks)', () => {
  it.each([
    ['empty input', 0, [1]],
    ['one byte', 1, [1]],
    ['exactly one block', BLOCK, [BLOCK]],
    ['one block and a byte', BLOCK + 1, [BLOCK + 1]],
    ['odd chunks across block edges', 10 * BLOCK + 123, [1, 4095, 7, 9000, 333]],
    ['chunks larger than a block', 40 * BLOCK + 5, [3 * BLOCK + 17]],
    ['many tiny chunks', 2 * BLOCK + 3, [3]],
  ])('%s: the same digests as an in-thread hash', async (_name, size, sizes) => {
    const data = randomBytes(size);
    const sink = new WorkerDigestSink({ blockBytes: BLOCK, blocks: 2 });
    await pipeline(Readable.from(chunked(data, sizes)), sink);
    expect(sink.digests).toEqual(expected(data));
  });

  it.each([
    [['sha512'] as const, (d: Buffer) => ({ md5: null, sha512: expected(d).sha512, bytes: d.length })],
    [['md5'] as const, (d: Buffer) => ({ md5: expected(d).md5, sha512: null, bytes: d.length })],
  ])('only the asked-for digests: %j', async (algorithms, want) => {
    const data = randomBytes(5 * BLOCK + 9);
    const sink = new WorkerDigestSink({ blockBytes: BLOCK, blocks: 2, algorithms });
    await pipeline(Readable.from(chunked(data, [3000])), sink);
    expect(sink.digests).toEqual(want(data));
  });

  it('never holds more than its pool, however fast the source is', async () => {
    const data = randomBytes(200 * BLOCK);
    const sink = new WorkerDigestSink({ blockBytes: BLOCK, blocks: 3 });
    await pipeline(Readable.from(chunked(data, [BLOCK * 5])), sink);
    expect(sink.digests).toEqual(expected(data));
    expect(sink.maxBlocksInFlight).toBeGreaterThan(0);
    expect(sink.maxBlocksInFlight).toBeLessThanOrEqual(3);
  });

  it('works as a SideTee side next to a consumer (the import and spawn pipelines)', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 11);
    const sink = new WorkerDigestSink();
    let seen = 0;
    await pipeline(
      Readable.from(chunked(data, [65536, 1 << 20])),
      new SideTee([sink]),
      new Writable({
        write(c: Buffer, _e, cb) {
          seen += c.length;
          cb();
        },
      }),
    );
    expect(seen).toBe(data.length);
    expect(sink.digests).toEqual(expected(data));
  });

  it('refuses to answer before the end; a destroyed sink closes its session', async () => {
    const sink = new WorkerDigestSink({ blockBytes: BLOCK });
    const errors: Error[] = [];
    sink.on('error', (e) => errors.push(e));
    expect(() => sink.digests).toThrow(/before the stream ended/);
    await new Promise<void>((resolve, reject) => sink.write(randomBytes(3 * BLOCK), (err) => (err ? reject(err) : resolve())));
    expect(hashWorkers.openSessions).toBe(1);
    expect(hashWorkers.keepsProcessAlive).toBe(true);
    sink.destroy(new Error('upload failed'));
    await new Promise((r) => sink.once('close', r));
    expect(errors.map((e) => e.message)).toEqual(['upload failed']);
    expect(hashWorkers.openSessions).toBe(0);
    expect(hashWorkers.keepsProcessAlive).toBe(false);
    expect(() => sink.digests).toThrow(/before the stream ended/);
  });

  it('threads stay for the next stream but keep the process alive only while a stream hashes', async () => {
    const sink = new WorkerDigestSink({ blockBytes: BLOCK });
    await pipeline(Readable.from([randomBytes(5 * BLOCK)]), sink);
    expect(hashWorkers.openSessions).toBe(0);
    expect(hashWorkers.keepsProcessAlive).toBe(false);
  });

  it.each([
    ['one thread shared by three streams', 1, 1],
    ['a thread per stream up to the limit', 2, 2],
  ])('concurrent streams keep their own digests: %s', async (_n, max, threads) => {
    const own = new HashWorkers(max);
    try {
      const inputs = [randomBytes(7 * BLOCK + 1), randomBytes(BLOCK - 1), randomBytes(20 * BLOCK)];
      const sinks = inputs.map(() => new WorkerDigestSink({ blockBytes: BLOCK, blocks: 2, workers: own }));
      await Promise.all(inputs.map((d, i) => pipeline(Readable.from(chunked(d, [1000, 5000])), sinks[i] as WorkerDigestSink)));
      inputs.forEach((d, i) => expect((sinks[i] as WorkerDigestSink).digests).toEqual(expected(d)));
      expect(own.threadCount).toBe(threads);
      expect(own.openSessions).toBe(0);
    } finally {
      await own.shutdown();
    }
  });

  it.each([
    [1, 1],
    [2, 1],
    [3, 2],
    [16, 4],
  ])('defaultHashThreads(%i cores) = %i (one core stays for the transfer)', (cores, want) => {
    expect(defaultHashThreads(cores)).toBe(want);
  });

  it('a thread that goes away fails the streams it was hashing, and the next stream gets new threads', async () => {
    const own = new HashWorkers();
    const sink = new WorkerDigestSink({ blockBytes: BLOCK, workers: own });
    const failed = new Promise<Error>((resolve) => sink.once('error', resolve));
    sink.write(randomBytes(2 * BLOCK));
    await new Promise((r) => setTimeout(r, 50));
    await own.shutdown();
    expect((await failed).message).toMatch(/hashing threads were shut down/);
    const again = new WorkerDigestSink({ blockBytes: BLOCK, workers: own });
    const data = randomBytes(3 * BLOCK);
    await pipeline(Readable.from([data]), again);
    expect(again.digests).toEqual(expected(data));
    await own.shutdown();
  });
});
