import { describe, expect, it } from 'vitest';
import { ImageFileCache } from '../../../src/compute/image-file-cache.js';

describe('ImageFileCache', () => {
  it('reads a file of an image once, sharing concurrent reads', async () => {
    const c = new ImageFileCache();
    let reads = 0;
    const load = async (): Promise<Buffer | null> => {
      reads += 1;
      return Buffer.from('root:x:0:0::/root:/bin/sh\n');
    };
    const [a, b] = await Promise.all([c.get('sha256:1', '/etc/passwd', load), c.get('sha256:1', '/etc/passwd', load)]);
    expect(a).toEqual(b);
    expect(await c.get('sha256:1', '/etc/passwd', load)).toEqual(a);
    expect(reads).toBe(1);
    // Another image or path is another file.
    await c.get('sha256:2', '/etc/passwd', load);
    await c.get('sha256:1', '/root/.ssh/authorized_keys', async () => null);
    expect(reads).toBe(2);
    expect(await c.get('sha256:1', '/root/.ssh/authorized_keys', load)).toBeNull();
  });

  it('forgets failed reads', async () => {
    const c = new ImageFileCache();
    await expect(c.get('i', '/f', () => Promise.reject(new Error('engine hiccup')))).rejects.toThrow('engine hiccup');
    expect(await c.get('i', '/f', async () => Buffer.from('ok'))).toEqual(Buffer.from('ok'));
  });

  it("a reader sharing another's read that fails (that spawn cancelled) reads for itself", async () => {
    const c = new ImageFileCache();
    let failFirst!: (e: Error) => void;
    const first = c.get('i', '/etc/passwd', () => new Promise<Buffer | null>((_r, reject) => (failFirst = reject)));
    let ownReads = 0;
    const second = c.get('i', '/etc/passwd', async () => {
      ownReads++;
      return Buffer.from('mine');
    });
    failFirst(new Error('spawn A cancelled'));
    await expect(first).rejects.toThrow('spawn A cancelled');
    expect(await second).toEqual(Buffer.from('mine'));
    expect(ownReads).toBe(1);
    // And the good read is what later readers share.
    expect(await c.get('i', '/etc/passwd', async () => Buffer.from('other'))).toEqual(Buffer.from('mine'));
  });

  it('is bounded, dropping the oldest entries', async () => {
    const c = new ImageFileCache(3);
    for (const i of [1, 2, 3, 4]) await c.get(`i${i}`, '/f', async () => null);
    expect(c.size).toBe(3);
    let reloaded = false;
    await c.get('i1', '/f', async () => {
      reloaded = true;
      return null;
    });
    expect(reloaded).toBe(true);
  });
});
