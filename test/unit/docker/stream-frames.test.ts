import { describe, expect, it } from 'vitest';
import { FrameDecoder, HeadBuffer, TailBuffer, demultiplex } from '../../../src/docker/stream-frames.js';

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

describe('FrameDecoder', () => {
  const all = Buffer.concat([frame(1, 'out1\n'), frame(2, 'err1\n'), frame(1, ''), frame(1, 'out2\n')]);

  it('decodes frames in order with their stream ids', () => {
    const got: Array<[number, string]> = [];
    new FrameDecoder((p, s) => got.push([s, p.toString()])).push(all);
    expect(got).toEqual([
      [1, 'out1\n'],
      [2, 'err1\n'],
      [1, ''],
      [1, 'out2\n'],
    ]);
  });

  it.each([1, 3, 7, 8, 9, 13])('handles frames split into %i-byte chunks', (size) => {
    const got: string[] = [];
    const d = new FrameDecoder((p) => got.push(p.toString()));
    for (let i = 0; i < all.length; i += size) d.push(all.subarray(i, i + size));
    expect(got.join('')).toBe('out1\nerr1\nout2\n');
    expect(d.leftover).toBe(0);
  });

  it('reports an incomplete trailing frame', () => {
    const d = new FrameDecoder(() => undefined);
    d.push(frame(1, 'abcdef').subarray(0, 10));
    expect(d.leftover).toBe(10);
  });

  it('demultiplex joins payloads', () => {
    expect(demultiplex(all).toString()).toBe('out1\nerr1\nout2\n');
  });
});

describe('TailBuffer / HeadBuffer', () => {
  it.each([
    [['abc', 'def', 'gh'], 4, 'efgh', true],
    [['abc', 'def'], 6, 'abcdef', false],
    [['abcdefgh'], 3, 'fgh', true],
    [['a'], 0, '', true],
  ])('tail of %j, %i bytes', (parts, max, want, truncated) => {
    const t = new TailBuffer(max);
    for (const p of parts) t.append(Buffer.from(p));
    expect(t.toBuffer().toString()).toBe(want);
    expect(t.truncated).toBe(truncated);
  });

  it.each([
    [['abc', 'def', 'gh'], 4, 'abcd', true],
    [['abc', 'def'], 6, 'abcdef', false],
    [['abcdefgh'], 3, 'abc', true],
  ])('head of %j, %i bytes', (parts, max, want, truncated) => {
    const h = new HeadBuffer(max);
    for (const p of parts) h.append(Buffer.from(p));
    expect(h.toBuffer().toString()).toBe(want);
    expect(h.truncated).toBe(truncated);
  });
});
