import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { ChunkCoalescer } from '../../../src/stream/chunk-coalescer.js';

async function run(chunks: Buffer[], minBytes: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const sink = new Writable({
    write(c: Buffer, _e, cb) {
      out.push(c);
      cb();
    },
  });
  await pipeline(Readable.from(chunks), new ChunkCoalescer(minBytes), sink);
  return out;
}

const sizes = (bufs: Buffer[]): number[] => bufs.map((b) => b.length);

describe('ChunkCoalescer', () => {
  it.each([
    { name: 'small chunks are gathered to at least minBytes, the rest at the end', input: [3, 3, 3, 3, 3], min: 8, out: [9, 6] },
    { name: 'a chunk reaching minBytes exactly is passed on at once', input: [4, 4, 4, 4], min: 8, out: [8, 8] },
    { name: 'large chunks pass one by one', input: [10, 20, 30], min: 8, out: [10, 20, 30] },
    { name: 'a large chunk after pending small ones is joined to them', input: [2, 10, 3], min: 8, out: [12, 3] },
    { name: 'a stream smaller than minBytes comes out as one chunk', input: [1, 2, 3], min: 100, out: [6] },
    { name: 'an empty stream stays empty', input: [], min: 8, out: [] },
    { name: 'socket-sized chunks become MiB chunks', input: Array<number>(40).fill(65536), min: 1024 * 1024, out: [1048576, 1048576, 524288] },
  ])('$name', async ({ input, min, out }) => {
    const data = randomBytes(input.reduce((a, b) => a + b, 0));
    let at = 0;
    const chunks = input.map((n) => data.subarray(at, (at += n)));
    const got = await run(chunks, min);
    expect(sizes(got)).toEqual(out);
    expect(Buffer.concat(got).equals(data)).toBe(true);
  });

  it('passes a large chunk on without copying it when nothing is pending', async () => {
    const big = randomBytes(64);
    const [first] = await run([big], 16);
    expect(first).toBe(big);
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => new ChunkCoalescer(0)).toThrow(/positive integer/);
    expect(() => new ChunkCoalescer(1.5)).toThrow(/positive integer/);
  });
});
