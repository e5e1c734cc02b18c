import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { DigestSink } from '../../../src/stream/digest-sink.js';
import type { HashAlgorithm } from '../../../src/stream/hash-workers.js';

const data = Buffer.from(Array.from({ length: 3_000_001 }, (_, i) => (i * 31) % 251));
const md5 = createHash('md5').update(data).digest('hex');
const sha512 = createHash('sha512').update(data).digest('hex');

describe('DigestSink (inline md5/sha512)', () => {
  it.each<[readonly HashAlgorithm[] | undefined, string | null, string | null]>([
    [undefined, md5, sha512],
    [['md5', 'sha512'], md5, sha512],
    [['md5'], md5, null],
    [['sha512'], null, sha512],
    [[], null, null],
  ])('algorithms %j → md5 %s, sha512 %s', async (algorithms, wantMd5, wantSha) => {
    const sink = new DigestSink(algorithms === undefined ? {} : { algorithms });
    await pipeline(Readable.from([data.subarray(0, 1_000_000), data.subarray(1_000_000, 1_000_007), data.subarray(1_000_007)]), sink);
    expect(sink.digests).toEqual({ md5: wantMd5, sha512: wantSha, bytes: data.length });
  });

  it('an empty stream has the digests of nothing', async () => {
    const sink = new DigestSink({ algorithms: ['md5'] });
    await pipeline(Readable.from([]), sink);
    expect(sink.digests).toEqual({ md5: createHash('md5').digest('hex'), sha512: null, bytes: 0 });
  });
});
