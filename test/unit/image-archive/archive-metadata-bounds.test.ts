/**
 * Hostile metadata costs bounded time and memory: nested OCI indexes that
 * name the same documents over and over, archives stuffed with JSON, and
 * magic numbers split across network reads.
 */
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildDockerArchive, descriptorOf, packEntries } from '../../helpers/docker-archives.js';
import { inspectArchive, inspectArchiveSplit } from '../../helpers/inspect-archive.js';

const INDEX = 'application/vnd.oci.image.index.v1+json';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** `fanout` descriptors of the image at each of three nested levels (`named`: each top-level one with its own name). */
function fanOut(fanout: number, named: boolean) {
  return (image: Record<string, unknown>) => {
    const inner = JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: Array.from({ length: fanout }, () => image) });
    const middle = JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: Array.from({ length: fanout }, () => descriptorOf(inner, INDEX)) });
    const top = Array.from({ length: fanout }, (_x, i) => descriptorOf(middle, INDEX, named ? { annotations: { 'io.containerd.image.name': `docker.io/library/x${i}:latest` } } : {}));
    return { manifests: top, blobs: [inner, middle] };
  };
}

describe('OCI index walk', () => {
  it('walks a document named many times once (200³ descriptors → one image, no fan-out)', async () => {
    const built = await buildDockerArchive({ layout: 'oci', index: fanOut(200, false) });
    const summary = await inspectArchive(built.tar, 65536);
    expect(summary.images.map((i) => i.imageId)).toEqual([built.imageId]);
  });

  it('refuses an index tree that lists more than 10000 manifests', async () => {
    const built = await buildDockerArchive({ layout: 'oci', index: fanOut(200, true) });
    await expect(inspectArchive(built.tar, 65536)).rejects.toMatchObject({ code: 'ERR_INVALID_IMAGE', message: /list more than 10000 manifests/ });
  });

  it.each([
    ['by annotation', { annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': 'sha256:x' } }],
    ['by platform unknown/unknown', { platform: { architecture: 'unknown', os: 'unknown' } }],
  ])('leaves out BuildKit attestation manifests (%s)', async (_how, extra) => {
    const statement = JSON.stringify({ _type: 'https://in-toto.io/Statement/v0.1', predicateType: 'https://slsa.dev/provenance/v0.2' });
    const diffId = descriptorOf(statement, 'application/vnd.in-toto+json').digest as string;
    const config = JSON.stringify({ architecture: 'unknown', os: 'unknown', rootfs: { type: 'layers', diff_ids: [diffId] } });
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST,
      config: descriptorOf(config, 'application/vnd.oci.image.config.v1+json'),
      layers: [descriptorOf(statement, 'application/vnd.in-toto+json')],
    });
    const built = await buildDockerArchive({
      layout: 'oci',
      index: (image) => ({ manifests: [image, descriptorOf(manifest, MANIFEST, extra)], blobs: [statement, config, manifest] }),
    });
    const summary = await inspectArchive(built.tar);
    expect(summary.images.map((i) => i.imageId)).toEqual([built.imageId]);
  });
});

describe('JSON metadata', () => {
  afterEach(() => vi.restoreAllMocks());

  it('parses only the documents the manifest names, not every small JSON file', async () => {
    const extra = Array.from({ length: 50 }, (_x, i) => ({ name: `junk/${i}.json`, content: JSON.stringify({ i, pad: 'p'.repeat(1000) }) }));
    const built = await buildDockerArchive({ layout: 'docker', extra });
    const parse = vi.spyOn(JSON, 'parse');
    await inspectArchive(built.tar);
    // manifest.json and the one image config.
    expect(parse).toHaveBeenCalledTimes(2);
  });

  it('refuses more than 32 MiB of JSON-looking files, before parsing any', async () => {
    const mib = Buffer.from(`[${'0,'.repeat(512 * 1024 - 2)}0]`);
    const extra = Array.from({ length: 33 }, (_x, i) => ({ name: `junk/${i}.json`, content: mib }));
    const built = await buildDockerArchive({ layout: 'docker', extra });
    await expect(inspectArchive(built.tar, 1024 * 1024)).rejects.toMatchObject({ code: 'ERR_INVALID_IMAGE', message: /more than 32 MiB of JSON metadata/ });
  });

  it('refuses a manifest.json that names one big config a thousand times (parse budget)', async () => {
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: { pad: 'p'.repeat(20_000) } }, rootfs: { type: 'layers', diff_ids: [] } });
    const manifest = JSON.stringify(Array.from({ length: 1000 }, () => ({ Config: 'c.json', RepoTags: null, Layers: [] })));
    const data = await packEntries([{ name: 'c.json', content: config }, { name: 'manifest.json', content: manifest }]);
    await expect(inspectArchive(data)).rejects.toMatchObject({ code: 'ERR_INVALID_IMAGE', message: /more than 16 MiB of JSON/ });
  });
});

describe('magic numbers split across reads', () => {
  it('a gzip archive whose first read is one byte is still unwrapped', async () => {
    const built = await buildDockerArchive({ layout: 'docker+oci', gzip: true });
    const summary = await inspectArchiveSplit(built.tar, 1);
    expect(summary.gzipped).toBe(true);
    expect(summary.images[0]?.imageId).toBe(built.imageId);
  });

  it('a one-byte input is "too short", not mistaken for anything', async () => {
    await expect(inspectArchive(Buffer.from([0x1f]))).rejects.toMatchObject({ code: 'ERR_INVALID_IMAGE', message: /too short to be a tar archive/ });
  });

  it('gzip-compressed layers are recognized when their data arrives a byte at a time', async () => {
    const built = await buildDockerArchive({ layout: 'docker+oci', gzipLayers: true, layers: 1, layerBytes: 512 });
    const summary = await inspectArchive(built.tar, 1);
    expect(summary.images[0]?.layers.map((l) => l.compression)).toEqual(['gzip']);
  });

  it('an outer gzip of only its magic is a clear "truncated" error', async () => {
    const gz = gzipSync(Buffer.alloc(0)).subarray(0, 2);
    await expect(inspectArchive(gz, 1)).rejects.toMatchObject({ code: 'ERR_INVALID_IMAGE', message: /truncated|does not decompress/ });
  });
});
