import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { InspectorOptions } from '../../../src/image-archive/archive-inspector.js';
import type { ArchiveSummary } from '../../../src/image-archive/archive-manifest.js';
import { buildDockerArchive, packEntries, type ArchiveOptions } from '../../helpers/docker-archives.js';
import { inspectArchive } from '../../helpers/inspect-archive.js';

const inspect = (data: Buffer, chunk?: number, options?: InspectorOptions): Promise<ArchiveSummary> => inspectArchive(data, chunk, options);

describe('ArchiveInspector: valid archives', () => {
  it.each<[string, ArchiveOptions, Partial<ArchiveSummary>]>([
    ['Docker ≤24 layout', { layout: 'docker' }, { layout: 'docker', gzipped: false, unloadableBy2010: [] }],
    ['Docker ≤24, gzip outer', { layout: 'docker', gzip: true }, { layout: 'docker', gzipped: true }],
    ['Docker ≤24, duplicate layer as symlink', { layout: 'docker', symlinkDuplicateLayer: true }, { layout: 'docker' }],
    ['Docker ≥25 OCI + manifest.json', { layout: 'docker+oci' }, { layout: 'docker+oci', unloadableBy2010: [] }],
    ['Docker ≥25 with gzip layers', { layout: 'docker+oci', gzipLayers: true }, { layout: 'docker+oci' }],
    ['OCI only (index.json)', { layout: 'oci' }, { layout: 'oci', unloadableBy2010: ['OCI layout without manifest.json: Docker before 25 cannot load it'] }],
    ['saved by ID (RepoTags null)', { layout: 'docker', repoTags: [] }, { layout: 'docker' }],
    ['one layer, big chunks', { layout: 'docker', layers: 1, layerBytes: 300_000 }, { layout: 'docker' }],
  ])('%s', async (_name, opts, expected) => {
    const built = await buildDockerArchive(opts);
    const summary = await inspect(built.tar);
    expect(summary).toMatchObject(expected);
    expect(summary.images).toHaveLength(1);
    const img = summary.images[0];
    expect(img?.imageId).toBe(built.imageId);
    expect(img?.repoTags).toEqual(opts.repoTags ?? ['nova-docker-bridge-test/fixture:latest']);
    expect(img?.architecture).toBe('amd64');
    expect(img?.os).toBe('linux');
    expect(img?.labels).toEqual({ 'org.example.fixture': 'yes' });
    expect(img?.layers.map((l) => `sha256:${l.digest}`)).toEqual(built.layerDigests);
    expect(img?.layers.every((l) => l.compression === (opts.gzipLayers ? 'gzip' : 'none'))).toBe(true);
  });

  it('follows a duplicate-layer symlink to the file it points at', async () => {
    const built = await buildDockerArchive({ layout: 'docker', symlinkDuplicateLayer: true });
    const img = (await inspect(built.tar)).images[0];
    expect(img?.layers[1]?.file).toBe(img?.layers[0]?.file);
    expect(img?.layers[1]?.path).not.toBe(img?.layers[0]?.path);
  });

  it('accepts zero padding after the end marker, as dd or a tape record adds (1 MiB, gzip and plain)', async () => {
    const built = await buildDockerArchive();
    const padded = Buffer.concat([built.tar, Buffer.alloc(1024 * 1024)]);
    expect((await inspect(padded)).images[0]?.imageId).toBe(built.imageId);
    expect((await inspect(gzipSync(padded))).images[0]?.imageId).toBe(built.imageId);
  });

  it('bounds the names and link targets it keeps (maxPathCharsTotal)', async () => {
    const built = await buildDockerArchive();
    await expect(inspect(built.tar, undefined, { maxPathCharsTotal: 40 })).rejects.toMatchObject({ code: 'ERR_INVALID_IMAGE', message: /entry names and link targets add up to more than/ });
  });

  it('works when the whole archive arrives in one chunk', async () => {
    const built = await buildDockerArchive({ layout: 'docker+oci', gzip: true });
    expect((await inspect(built.tar, built.tar.length)).images[0]?.imageId).toBe(built.imageId);
  });
});

describe('ArchiveInspector without layer digests (the spawn path: Glance hash + docker load check them)', () => {
  // Files above maxJsonFileBytes count as layers; the configs and manifests stay below it.
  const opts: InspectorOptions = { verifyLayerDigests: false, maxJsonFileBytes: 16 * 1024 };

  it.each<[string, ArchiveOptions]>([
    ['Docker ≤24 layout', { layout: 'docker', layers: 2, layerBytes: 100_000 }],
    ['Docker ≥25 OCI + manifest.json', { layout: 'docker+oci', layers: 2, layerBytes: 100_000 }],
  ])('%s: still names the image by its config hash, leaves layer digests unset', async (_name, archive) => {
    const built = await buildDockerArchive(archive);
    const img = (await inspect(built.tar, 4096, opts)).images[0];
    expect(img?.imageId).toBe(built.imageId);
    expect(img?.layers.map((l) => l.digest)).toEqual([null, null]);
  });

  it.each<[string, ArchiveOptions]>([
    ['Docker ≤24: diff_id', { layout: 'docker', layers: 2, layerBytes: 100_000, corruptLayer: 0 }],
    ['OCI: blob digest', { layout: 'docker+oci', layers: 2, layerBytes: 100_000, corruptLayer: 1 }],
  ])('a corrupted layer (%s) passes here and is refused with the default', async (_name, archive) => {
    const built = await buildDockerArchive(archive);
    expect((await inspect(built.tar, 4096, opts)).images).toHaveLength(1);
    await expect(inspect(built.tar, 4096, { maxJsonFileBytes: 16 * 1024 })).rejects.toMatchObject({ code: 'ERR_INVALID_IMAGE', message: /corrupted/ });
  });

  it('structure is still checked: a manifest naming a missing layer is refused', async () => {
    const built = await buildDockerArchive({ layout: 'docker', layers: 2, layerBytes: 100_000, dropLayer: 1 });
    await expect(inspect(built.tar, 4096, opts)).rejects.toMatchObject({ code: 'ERR_INVALID_IMAGE', message: /is missing from the archive/ });
  });
});

describe('ArchiveInspector: broken and hostile input → ERR_INVALID_IMAGE with a clear message', () => {
  const cases: [string, () => Promise<Buffer>, RegExp][] = [
    ['empty input', async () => Buffer.alloc(0), /input is empty/],
    ['not a tar (text)', async () => Buffer.from('{"hello": "this is JSON, not a tar archive"}\n'.repeat(20)), /not a valid tar archive/],
    ['not a tar (zeros only)', async () => Buffer.alloc(4096), /holds no tar entries/],
    ['gzip of garbage', async () => gzipSync(Buffer.from('garbage'.repeat(200))), /not a valid tar archive/],
    ['gzip cut short', async () => { const b = gzipSync((await buildDockerArchive()).tar); return b.subarray(0, b.length - 100); }, /the archive is truncated: the gzip stream ends early/],
    ['truncated in the middle of a layer', async () => { const b = (await buildDockerArchive({ layerBytes: 50_000 })).tar; return b.subarray(0, 30_000); }, /truncated: it ends in the middle of an entry/],
    ['truncated at an entry boundary (no end marker)', async () => { const b = (await buildDockerArchive()).tar; return b.subarray(0, b.length - 1024); }, /truncated: it ends without the tar end-of-archive marker/],
    ['a tar, but not docker save (no manifest)', async () => packEntries([{ name: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' }]), /neither manifest\.json nor index\.json.*docker export/],
    ['manifest names a missing layer', async () => (await buildDockerArchive({ dropLayer: 1 })).tar, /layer ".*layer\.tar" is missing from the archive/],
    ['OCI: manifest names a missing blob', async () => (await buildDockerArchive({ layout: 'docker+oci', dropLayer: 0 })).tar, /layer "blobs\/sha256\/[0-9a-f]{64}" is missing/],
    ['corrupted layer (Docker ≤24: diff_id)', async () => (await buildDockerArchive({ corruptLayer: 0 })).tar, /does not match the image config.*corrupted/],
    ['corrupted blob (OCI: digest)', async () => (await buildDockerArchive({ layout: 'docker+oci', corruptLayer: 1 })).tar, /blob blobs\/sha256\/[0-9a-f]{64} does not match its digest/],
    ['absolute path entry', async () => (await buildDockerArchive({ extra: [{ name: '/etc/cron.d/evil', content: 'x' }] })).tar, /absolute path: "\/etc\/cron\.d\/evil"/],
    ['path traversal with ..', async () => (await buildDockerArchive({ extra: [{ name: 'a/../../etc/passwd', content: 'x' }] })).tar, /climbs out of the archive/],
    ['symlink pointing outside', async () => (await buildDockerArchive({ extra: [{ name: 'evil', type: 'symlink', linkname: '../../etc/shadow' }] })).tar, /link points outside the archive/],
    ['absolute symlink', async () => (await buildDockerArchive({ extra: [{ name: 'evil', type: 'symlink', linkname: '/etc/shadow' }] })).tar, /link points to an absolute path/],
    ['hard link outside', async () => (await buildDockerArchive({ extra: [{ name: 'evil', type: 'link', linkname: '../x' }] })).tar, /outside the archive/],
    ['symlink target longer than 4096 characters', async () => packEntries([{ name: 'l', type: 'symlink', linkname: 'a/'.repeat(3000) }]), /link target longer than 4096 characters/],
    ['a zero-block bomb appended to a valid archive (gzip)', async () => gzipSync(Buffer.concat([(await buildDockerArchive()).tar, Buffer.alloc(24 * 1024 * 1024)])), /more than 8 MiB of empty tar blocks after its last entry/],
    ['zeros only, many of them', async () => Buffer.alloc(12 * 1024 * 1024), /more than 8 MiB of empty tar blocks after its start/],
    ['device file', async () => (await buildDockerArchive({ extra: [{ name: 'dev-null', type: 'character-device' }] })).tar, /is a character-device entry/],
    ['fifo', async () => (await buildDockerArchive({ extra: [{ name: 'pipe', type: 'fifo' }] })).tar, /is a fifo entry/],
    ['oversized pax header (> 4 MiB)', async () => packEntries([{ name: 'x', content: 'y', pax: { comment: 'z'.repeat(5 * 1024 * 1024) } }]), /not a valid tar archive.*Header exceeds max size/],
    ['duplicate file entry', async () => packEntries([{ name: 'manifest.json', content: '[]' }, { name: 'manifest.json', content: '[]' }]), /"manifest\.json" appears twice/],
    ['manifest.json is not JSON', async () => packEntries([{ name: 'manifest.json', content: 'nope' }]), /manifest\.json is not a JSON array/],
    ['manifest.json with an escaping Config path', async () => packEntries([{ name: 'manifest.json', content: JSON.stringify([{ Config: '../x.json', Layers: [] }]) }]), /manifest\.json manifest\.json\[0\]\.Config .*climbs out/],
    ['manifest.json pointing at a directory', async () => packEntries([{ name: 'd/', type: 'directory' }, { name: 'manifest.json', content: JSON.stringify([{ Config: 'd', Layers: [] }]) }]), /is a directory, not a file/],
    ['symlink loop', async () => packEntries([{ name: 'a', type: 'symlink', linkname: 'b' }, { name: 'b', type: 'symlink', linkname: 'a' }, { name: 'manifest.json', content: JSON.stringify([{ Config: 'a', Layers: [] }]) }]), /link loop/],
    ['OCI index referencing nothing present', async () => packEntries([{ name: 'index.json', content: JSON.stringify({ manifests: [{ digest: `sha256:${'a'.repeat(64)}` }] }) }]), /references no image whose manifest is in the archive/],
  ];

  it.each(cases)('%s', async (_name, make, re) => {
    const data = await make();
    const err = await inspect(data).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_INVALID_IMAGE' });
    expect((err as Error).message).toMatch(re);
  });
});
