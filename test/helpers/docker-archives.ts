/**
 * Builds `docker save`-shaped archives in memory for tests: Docker ≤24's
 * layout, Docker ≥25's OCI+manifest.json layout and a bare OCI layout, each
 * with real layer tars, matching diff_ids and digests, and knobs that break
 * them in the ways hostile or damaged input does.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

export interface RawEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'fifo';
  content?: Buffer | string;
  linkname?: string;
  pax?: Record<string, string>;
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** Packs entries, in order, into a tar (with the end-of-archive marker). */
export async function packEntries(entries: readonly RawEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = {
      name: e.name,
      type,
      mode: type === 'directory' ? 0o755 : 0o644,
      mtime: new Date(0),
      ...(e.linkname === undefined ? {} : { linkname: e.linkname }),
      ...(e.pax === undefined ? {} : { pax: e.pax }),
    };
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (type === 'file') pack.entry(header, typeof e.content === 'string' ? Buffer.from(e.content) : (e.content ?? Buffer.alloc(0)), cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  return done;
}

export type ArchiveLayoutKind = 'docker' | 'docker+oci' | 'oci';

export interface ArchiveOptions {
  layout?: ArchiveLayoutKind;
  /** Repo tags; [] saves "by ID" (RepoTags null). */
  repoTags?: string[];
  /** Number of layers (each one small file). Default 2. */
  layers?: number;
  /** Duplicate the first layer as the second one, written as a symlink (Docker ≤24 only). */
  symlinkDuplicateLayer?: boolean;
  /** gzip each layer blob (OCI layouts). */
  gzipLayers?: boolean;
  /** gzip the whole archive. */
  gzip?: boolean;
  /** Leave this layer's file out (the manifest still names it). */
  dropLayer?: number;
  /** Flip a byte in this layer's data after digests were computed. */
  corruptLayer?: number;
  /** Extra entries appended before the metadata. */
  extra?: RawEntry[];
  /** Bytes of random-ish data per layer file (default 2 KiB). */
  layerBytes?: number;
  architecture?: string;
  /**
   * OCI layouts: replaces index.json's manifests with what this returns for
   * the image's manifest descriptor, and stores `blobs` under their digests
   * (nested indexes, attestations, fan-out).
   */
  index?: (image: Record<string, unknown>) => { manifests: unknown[]; blobs?: (Buffer | string)[] };
}

/** An OCI descriptor of `content`. */
export function descriptorOf(content: Buffer | string, mediaType: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { mediaType, digest: `sha256:${sha256(content)}`, size: Buffer.byteLength(content), ...extra };
}

export interface BuiltArchive {
  readonly tar: Buffer;
  /** sha256:<hex> of the config = the image ID Docker will report. */
  readonly imageId: string;
  readonly layerDigests: readonly string[];
  /** The repo tags manifest.json gives the image (what docker load tags it with). */
  readonly repoTags: readonly string[];
}

/** One layer: a tar holding one file with deterministic content. */
async function layerTar(i: number, bytes: number): Promise<Buffer> {
  const content = Buffer.alloc(bytes);
  for (let j = 0; j < bytes; j++) content[j] = (j * 31 + i * 7) & 0xff;
  return packEntries([
    { name: `layer${i}/`, type: 'directory' },
    { name: `layer${i}/data.bin`, content },
  ]);
}

export async function buildDockerArchive(o: ArchiveOptions = {}): Promise<BuiltArchive> {
  const layout = o.layout ?? 'docker';
  const n = o.layers ?? 2;
  const repoTags = o.repoTags ?? ['nova-docker-bridge-test/fixture:latest'];
  const layers: Buffer[] = [];
  for (let i = 0; i < n; i++) layers.push(o.symlinkDuplicateLayer && i === 1 ? (layers[0] as Buffer) : await layerTar(i, o.layerBytes ?? 2048));
  const diffIds = layers.map((l) => `sha256:${sha256(l)}`);
  const config = JSON.stringify({
    architecture: o.architecture ?? 'amd64',
    os: 'linux',
    created: '1970-01-01T00:00:00Z',
    config: { Cmd: ['/bin/sh'], Labels: { 'org.example.fixture': 'yes' } },
    rootfs: { type: 'layers', diff_ids: diffIds },
  });
  const configHex = sha256(config);
  const entries: RawEntry[] = [];
  const stored = layers.map((l) => (o.gzipLayers ? gzipSync(l) : l));
  const corrupt = (b: Buffer, i: number): Buffer => {
    if (o.corruptLayer !== i) return b;
    const c = Buffer.from(b);
    c[c.length - 600] = (c[c.length - 600] ?? 0) ^ 0xff;
    return c;
  };
  let layerPaths: string[];
  if (layout === 'docker') {
    layerPaths = [];
    const dirs = layers.map((_l, i) => sha256(`v1-${i}-${configHex}`));
    layers.forEach((l, i) => {
      const dir = dirs[i] as string;
      layerPaths.push(`${dir}/layer.tar`);
      if (o.dropLayer === i) return;
      entries.push({ name: `${dir}/`, type: 'directory' }, { name: `${dir}/VERSION`, content: '1.0' }, { name: `${dir}/json`, content: JSON.stringify({ id: dir }) });
      if (o.symlinkDuplicateLayer && i === 1) entries.push({ name: `${dir}/layer.tar`, type: 'symlink', linkname: `../${dirs[0] as string}/layer.tar` });
      else entries.push({ name: `${dir}/layer.tar`, content: corrupt(l, i) });
    });
    entries.push({ name: `${configHex}.json`, content: config });
  } else {
    const blobs = new Map<string, Buffer>();
    layerPaths = stored.map((l, i) => {
      const hex = sha256(l);
      if (o.dropLayer !== i) blobs.set(hex, corrupt(l, i));
      return `blobs/sha256/${hex}`;
    });
    blobs.set(configHex, Buffer.from(config));
    const mediaLayer = o.gzipLayers ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar';
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${configHex}`, size: config.length },
      layers: stored.map((l) => ({ mediaType: mediaLayer, digest: `sha256:${sha256(l)}`, size: l.length })),
    });
    const manifestHex = sha256(manifest);
    blobs.set(manifestHex, Buffer.from(manifest));
    const imageDescriptor = descriptorOf(manifest, 'application/vnd.oci.image.manifest.v1+json', {
      annotations: repoTags[0] === undefined ? {} : { 'io.containerd.image.name': `docker.io/${repoTags[0]}`, 'org.opencontainers.image.ref.name': repoTags[0].split(':').pop() },
    });
    const custom = o.index?.(imageDescriptor);
    for (const b of custom?.blobs ?? []) blobs.set(sha256(b), Buffer.from(b));
    entries.push({ name: 'blobs/', type: 'directory' }, { name: 'blobs/sha256/', type: 'directory' });
    for (const [hex, b] of [...blobs.entries()].sort(([a], [b]) => a.localeCompare(b))) entries.push({ name: `blobs/sha256/${hex}`, content: b });
    entries.push({
      name: 'index.json',
      content: JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: custom?.manifests ?? [imageDescriptor],
      }),
    });
    entries.push({ name: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' });
  }
  entries.push(...(o.extra ?? []));
  if (layout !== 'oci') {
    const configPath = layout === 'docker' ? `${configHex}.json` : `blobs/sha256/${configHex}`;
    entries.push({ name: 'manifest.json', content: JSON.stringify([{ Config: configPath, RepoTags: repoTags.length === 0 ? null : repoTags, Layers: layerPaths }]) });
  }
  let out = await packEntries(entries);
  if (o.gzip) out = gzipSync(out);
  return { tar: out, imageId: `sha256:${configHex}`, layerDigests: stored.map((l) => `sha256:${sha256(l)}`), repoTags };
}
