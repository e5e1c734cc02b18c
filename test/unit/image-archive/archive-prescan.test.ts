import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { summarizeArchive } from '../../../src/image-archive/archive-manifest.js';
import { prescanArchive } from '../../../src/image-archive/archive-prescan.js';
import { buildDockerArchive, packEntries, type ArchiveOptions } from '../../helpers/docker-archives.js';
import { inspectArchive } from '../../helpers/inspect-archive.js';

const dir = mkdtempSync(join(tmpdir(), 'ndb-prescan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(data: Buffer): string {
  const p = join(dir, `a${n++}.tar`);
  writeFileSync(p, data);
  return p;
}

const MiB = 1024 * 1024;

describe('prescanArchive', () => {
  it.each<{ name: string; o: ArchiveOptions }>([
    { name: 'Docker ≤24 layout', o: { layout: 'docker' } },
    { name: 'Docker ≥25 layout (OCI + manifest.json)', o: { layout: 'docker+oci' } },
    { name: 'bare OCI layout', o: { layout: 'oci' } },
    { name: 'layers above the small-file size (seeked over)', o: { layout: 'docker+oci', layerBytes: 1.5 * MiB, layers: 3 } },
    { name: 'gzip layers', o: { layout: 'oci', gzipLayers: true } },
    { name: 'a layer stored as a symlink to another', o: { layout: 'docker', symlinkDuplicateLayer: true } },
    { name: 'saved by ID (no repo tags)', o: { repoTags: [] } },
    {
      name: 'long names (ustar prefix, PAX path) and a directory',
      o: {
        extra: [
          { name: `${'d'.repeat(90)}/${'e'.repeat(60)}.txt`, content: 'x' },
          { name: 'extra/', type: 'directory' },
          { name: 'extra/pax.json', content: '{"a":1}', pax: { path: `extra/${'p'.repeat(200)}.json` } },
        ],
      },
    },
  ])('finds what the streaming inspector finds: $name', async ({ o }) => {
    const built = await buildDockerArchive(o);
    const contents = await prescanArchive(file(built.tar));
    expect(contents).not.toBeNull();
    const early = summarizeArchive(contents!);
    const streamed = await inspectArchive(built.tar, 64 * 1024, { verifyLayerDigests: false });
    expect(early).toEqual(streamed);
    expect(early.images[0]?.imageId).toBe(built.imageId);
  });

  it.each<{ name: string; make: () => Promise<Buffer> }>([
    { name: 'a gzip-compressed archive', make: async () => (await buildDockerArchive({ gzip: true })).tar },
    { name: 'a truncated archive', make: async () => (await buildDockerArchive({ layerBytes: 1.5 * MiB })).tar.subarray(0, 2 * MiB) },
    { name: 'no end-of-archive marker', make: async () => { const t = (await buildDockerArchive()).tar; return t.subarray(0, t.length - 1024); } },
    { name: 'not a tar', make: async () => Buffer.from('{"this": "is json, not a tar"}\n'.repeat(100)) },
    { name: 'an empty file', make: async () => Buffer.alloc(0) },
    { name: 'entries after the end-of-archive marker (two tars end to end)', make: async () => Buffer.concat([await packEntries([{ name: 'a', content: 'x' }]), (await buildDockerArchive()).tar]) },
    { name: 'a device entry', make: async () => packEntries([{ name: 'dev', type: 'character-device' }]) },
    { name: 'a path escaping the archive', make: async () => packEntries([{ name: '../etc/passwd', content: 'x' }]) },
    { name: 'a damaged header checksum', make: async () => { const t = Buffer.from((await buildDockerArchive()).tar); t[10] = (t[10] as number) ^ 0x20; return t; } },
  ])('gives up (null) on $name, leaving the verdict to the upload', async ({ make }) => {
    expect(await prescanArchive(file(await make()))).toBeNull();
  });

  it('gives up on a missing file', async () => {
    expect(await prescanArchive(join(dir, 'missing.tar'))).toBeNull();
  });

  it('gives up past its entry bound', async () => {
    const t = await packEntries(Array.from({ length: 20 }, (_v, i) => ({ name: `f${i}`, content: 'x' })));
    expect(await prescanArchive(file(t), { maxEntries: 10, maxSmallFileBytes: MiB, maxSmallBytesTotal: MiB })).toBeNull();
    expect(await prescanArchive(file(t), { maxEntries: 30, maxSmallFileBytes: MiB, maxSmallBytesTotal: MiB })).not.toBeNull();
  });
});
