import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { destroyOnReject, releaseStream } from '../../../src/stream/destroy-on-reject.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('releaseStream / destroyOnReject', () => {
  it('hands the consumer\'s error to a stream someone listens on', async () => {
    const s = new PassThrough();
    const seen: Error[] = [];
    s.on('error', (e) => seen.push(e));
    releaseStream(s, new Error('docker down'));
    await tick();
    expect(s.destroyed).toBe(true);
    expect(seen.map((e) => e.message)).toEqual(['docker down']);
  });

  it('destroys a stream nobody listens on without an error event (which would crash the process)', async () => {
    const s = new PassThrough();
    releaseStream(s, new Error('docker down'));
    await tick();
    expect(s.destroyed).toBe(true);
    expect(s.errored).toBeNull();
  });

  it('destroyOnReject releases the stream and passes the rejection on; a success leaves it alone', async () => {
    const failed = new PassThrough();
    await expect(destroyOnReject(Promise.reject(new Error('no token')), failed)).rejects.toThrow('no token');
    expect(failed.destroyed).toBe(true);
    const fine = new PassThrough();
    await expect(destroyOnReject(Promise.resolve(7), fine)).resolves.toBe(7);
    expect(fine.destroyed).toBe(false);
  });
});
