import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { packTar, readSingleFile } from '../../../src/util/tar-archive.js';

async function listTar(buf: Buffer): Promise<Array<{ name: string; type: string; mode: number; uid: number; gid: number; body: string }>> {
  const out: Array<{ name: string; type: string; mode: number; uid: number; gid: number; body: string }> = [];
  const ex = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (c: unknown) => parts.push(c as Buffer));
      stream.on('end', () => {
        out.push({ name: h.name, type: h.type ?? '', mode: h.mode ?? 0, uid: h.uid ?? -1, gid: h.gid ?? -1, body: Buffer.concat(parts).toString() });
        next();
      });
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  Readable.from([buf]).pipe(ex);
  await done;
  return out;
}

describe('packTar', () => {
  it('writes directories and files with modes and owners, in order', async () => {
    const buf = await packTar([
      { path: 'home/u/.ssh', type: 'directory', mode: 0o700, uid: 1000, gid: 1001 },
      { path: 'home/u/.ssh/authorized_keys', type: 'file', content: Buffer.from('key\n'), mode: 0o600, uid: 1000, gid: 1001 },
      { path: 'etc/motd', type: 'file', content: Buffer.from('hi'), mode: 0o644 },
    ]);
    expect(await listTar(buf)).toEqual([
      { name: 'home/u/.ssh/', type: 'directory', mode: 0o700, uid: 1000, gid: 1001, body: '' },
      { name: 'home/u/.ssh/authorized_keys', type: 'file', mode: 0o600, uid: 1000, gid: 1001, body: 'key\n' },
      { name: 'etc/motd', type: 'file', mode: 0o644, uid: 0, gid: 0, body: 'hi' },
    ]);
  });
});

describe('readSingleFile', () => {
  it('returns the file when the archive is one file', async () => {
    const buf = await packTar([{ path: 'passwd', type: 'file', content: Buffer.from('root:x:0:0::/root:/bin/sh\n'), mode: 0o644 }]);
    expect(await readSingleFile(Readable.from([buf]), 1024)).toEqual({ name: 'passwd', content: Buffer.from('root:x:0:0::/root:/bin/sh\n'), truncated: false });
  });

  it('null when the archive is a directory, even with files inside', async () => {
    const buf = await packTar([
      { path: 'etc', type: 'directory', mode: 0o755 },
      { path: 'etc/passwd', type: 'file', content: Buffer.from('x'), mode: 0o644 },
    ]);
    expect(await readSingleFile(Readable.from([buf]), 1024)).toBeNull();
  });

  it('bounds what it keeps', async () => {
    const buf = await packTar([{ path: 'big', type: 'file', content: Buffer.alloc(5000, 'a'), mode: 0o644 }]);
    const f = await readSingleFile(Readable.from([buf]), 100);
    expect(f?.content.length).toBe(100);
    expect(f?.truncated).toBe(true);
  });

  it('null when the archive holds no file', async () => {
    const buf = await packTar([{ path: 'd', type: 'directory', mode: 0o755 }]);
    expect(await readSingleFile(Readable.from([buf]), 100)).toBeNull();
  });

  it('rejects a stream that is not a tar archive', async () => {
    await expect(readSingleFile(Readable.from([Buffer.alloc(1024, 7)]), 100)).rejects.toThrow();
  });
});
