/**
 * Makes sense of a `docker save` archive once all of it has streamed past:
 * which images it holds, their IDs, tags and layers, and whether every file
 * the metadata names is really there and matches its digest.
 *
 * Layouts (research notes, GLANCE.md §5):
 * - Docker ≤ 24: `manifest.json` → `<id>.json` config + `<v1-id>/layer.tar`
 *   (uncompressed; the second of two identical layers may be a symlink).
 * - Docker ≥ 25: OCI layout (`index.json`, `blobs/sha256/…`) plus a
 *   `manifest.json` whose paths point into `blobs/`.
 * - containerd exporter / OCI-only: `index.json` (→ nested index →
 *   manifest), possibly with blobs of other platforms left out.
 * `manifest.json` is preferred whenever it exists; it is what `docker load` reads.
 */
import { BridgeError } from '../errors/bridge-error.js';
import type { ArchiveContents, ArchiveEntry, Compression } from './archive-contents.js';
import { manifestPath } from './entry-path.js';

export interface ArchiveLayer {
  /** The path manifest.json (or the blob digest) names. */
  readonly path: string;
  /** The regular file it resolves to (after symlinks). */
  readonly file: string;
  readonly size: number;
  /** sha256 of the layer file as stored; null when the inspector did not hash layers. */
  readonly digest: string | null;
  readonly compression: Compression;
}

export interface ArchiveImage {
  /** "sha256:<hex>" = sha256 of the config JSON = what `docker images --no-trunc` shows. */
  readonly imageId: string;
  readonly configPath: string;
  /** "repo:tag" references (empty when saved by ID). */
  readonly repoTags: readonly string[];
  readonly layers: readonly ArchiveLayer[];
  readonly architecture: string | null;
  readonly os: string | null;
  readonly variant: string | null;
  readonly created: string | null;
  readonly labels: Readonly<Record<string, string>>;
  /** Sum of layer file sizes. */
  readonly layerBytes: number;
}

export type ArchiveLayout = 'docker' | 'docker+oci' | 'oci';

export interface ArchiveSummary {
  readonly layout: ArchiveLayout;
  readonly gzipped: boolean;
  readonly images: readonly ArchiveImage[];
  /**
   * Why Docker 20.10 (`docker load` of the compute hosts) could not load this
   * archive; empty when it can.
   */
  readonly unloadableBy2010: readonly string[];
}

const MAX_LINK_HOPS = 16;
const MAX_MANIFEST_IMAGES = 1000;
/** Descriptors visited across index.json and the indexes it nests; a real multi-platform image has a few dozen. */
const MAX_INDEX_DESCRIPTORS = 10_000;
/**
 * JSON parsed while summarizing, re-reads included. Real archives need a few
 * KiB to a few MiB; the budget bounds the CPU and heap a hostile archive can
 * cost (a document named a million times, or parsed JSON's ~20× blow-up).
 */
const MAX_PARSED_JSON_BYTES = 16 * 1024 * 1024;
const SHA256_BLOB = /^blobs\/sha256\/([0-9a-f]{64})$/;
const DIGEST = /^sha256:([0-9a-f]{64})$/;
const LEGACY_CONFIG = /^([0-9a-f]{64})\.json$/;

function invalid(message: string, details: Record<string, unknown> = {}): BridgeError {
  return new BridgeError('ERR_INVALID_IMAGE', message, { details });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The archive's entries plus a JSON reader that parses documents on demand
 * (they are kept raw until then) and refuses to parse more than
 * {@link MAX_PARSED_JSON_BYTES} in all.
 */
interface MetadataReader {
  readonly entries: ReadonlyMap<string, ArchiveEntry>;
  /** The entry's JSON; undefined when it was not kept (too large, not JSON-looking) or does not parse. */
  json(entry: ArchiveEntry): unknown;
}

function metadataReader(contents: ArchiveContents): MetadataReader {
  let parsed = 0;
  return {
    entries: contents.entries,
    json(entry) {
      if (entry.text === null) return undefined;
      parsed += entry.text.length;
      if (parsed > MAX_PARSED_JSON_BYTES) {
        throw invalid(`reading the archive's metadata takes more than ${MAX_PARSED_JSON_BYTES / (1024 * 1024)} MiB of JSON (manifests or indexes naming the same documents over and over?)`);
      }
      try {
        return JSON.parse(entry.text.toString('utf8')) as unknown;
      } catch {
        return undefined;
      }
    },
  };
}

/** The regular file `path` is or links to; ERR_INVALID_IMAGE naming `what` when it is missing. */
function resolveFile(entries: ReadonlyMap<string, ArchiveEntry>, path: string, what: string): ArchiveEntry {
  let current = path;
  for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
    const e = entries.get(current);
    if (e === undefined) {
      throw invalid(
        current === path
          ? `${what} ${JSON.stringify(path)} is missing from the archive (truncated or incomplete docker save?)`
          : `${what} ${JSON.stringify(path)} links to ${JSON.stringify(current)}, which is missing from the archive`,
        { path },
      );
    }
    if (e.type === 'file') return e;
    if (e.type === 'directory') throw invalid(`${what} ${JSON.stringify(path)} is a directory, not a file`, { path });
    current = e.linkTarget as string;
  }
  throw invalid(`${what} ${JSON.stringify(path)}: more than ${MAX_LINK_HOPS} links in a row (a link loop?)`, { path });
}

function configJson(r: MetadataReader, entry: ArchiveEntry, what: string): Record<string, unknown> {
  const json = r.json(entry);
  if (!isRecord(json)) throw invalid(`${what} ${JSON.stringify(entry.path)} is not a JSON object (or is larger than 1 MiB)`, { path: entry.path });
  return json;
}

function strOrNull(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function labelsOf(config: Record<string, unknown>): Record<string, string> {
  const inner = isRecord(config.config) ? config.config : {};
  const labels = isRecord(inner.Labels) ? inner.Labels : {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Checks layers against the config's rootfs.diff_ids where that is possible (uncompressed layers). */
function checkDiffIds(config: Record<string, unknown>, layers: readonly ArchiveLayer[], configPath: string): void {
  const rootfs = isRecord(config.rootfs) ? config.rootfs : null;
  const diffIds = rootfs !== null && Array.isArray(rootfs.diff_ids) ? rootfs.diff_ids : null;
  if (diffIds === null) throw invalid(`image config ${JSON.stringify(configPath)} has no rootfs.diff_ids`, { path: configPath });
  if (diffIds.length !== layers.length) {
    throw invalid(`image config ${JSON.stringify(configPath)} lists ${diffIds.length} layers but the manifest names ${layers.length}`, { path: configPath });
  }
  layers.forEach((layer, i) => {
    // diff_id is over the uncompressed tar; docker load checks the others (and all of them when layers were not hashed).
    if (layer.compression !== 'none' || layer.digest === null) return;
    if (diffIds[i] !== `sha256:${layer.digest}`) {
      throw invalid(`layer ${JSON.stringify(layer.path)} does not match the image config (sha256 ${layer.digest}, config says ${String(diffIds[i])}): corrupted archive`, {
        path: layer.path,
      });
    }
  });
}

function imageFromConfig(
  r: MetadataReader,
  configRef: string,
  configEntry: ArchiveEntry,
  layerRefs: readonly string[],
  repoTags: readonly string[],
  what: string,
): ArchiveImage {
  const config = configJson(r, configEntry, `${what} config`);
  const legacy = LEGACY_CONFIG.exec(configEntry.path);
  if (legacy && legacy[1] !== configEntry.sha256) {
    throw invalid(`image config ${JSON.stringify(configEntry.path)} does not match its name (sha256 ${configEntry.sha256}): corrupted archive`, { path: configEntry.path });
  }
  const layers: ArchiveLayer[] = layerRefs.map((ref) => {
    const file = resolveFile(r.entries, ref, `${what} layer`);
    return { path: ref, file: file.path, size: file.size, digest: file.sha256, compression: file.compression ?? 'none' };
  });
  checkDiffIds(config, layers, configRef);
  return {
    imageId: `sha256:${configEntry.sha256 as string}`,
    configPath: configRef,
    repoTags,
    layers,
    architecture: strOrNull(config.architecture),
    os: strOrNull(config.os),
    variant: strOrNull(config.variant),
    created: strOrNull(config.created),
    labels: labelsOf(config),
    layerBytes: layers.reduce((n, l) => n + l.size, 0),
  };
}

function imagesFromDockerManifest(r: MetadataReader, manifest: unknown): ArchiveImage[] {
  if (!Array.isArray(manifest)) throw invalid('manifest.json is not a JSON array (or is larger than 1 MiB)');
  if (manifest.length === 0) throw invalid('manifest.json lists no images');
  if (manifest.length > MAX_MANIFEST_IMAGES) throw invalid(`manifest.json lists ${manifest.length} images; at most ${MAX_MANIFEST_IMAGES} are accepted`);
  return manifest.map((item, i) => {
    const what = `manifest.json[${i}]`;
    if (!isRecord(item)) throw invalid(`${what} is not an object`);
    if (typeof item.Config !== 'string') throw invalid(`${what}.Config is missing or not a string`);
    if (!Array.isArray(item.Layers) || !item.Layers.every((l): l is string => typeof l === 'string')) throw invalid(`${what}.Layers is missing or not a list of paths`);
    const tags = item.RepoTags;
    if (tags !== null && tags !== undefined && (!Array.isArray(tags) || !tags.every((t): t is string => typeof t === 'string'))) {
      throw invalid(`${what}.RepoTags is neither null nor a list of strings`);
    }
    const configRef = manifestPath(item.Config, `${what}.Config`);
    const layerRefs = item.Layers.map((l, j) => manifestPath(l, `${what}.Layers[${j}]`));
    const configEntry = resolveFile(r.entries, configRef, `${what} config`);
    return imageFromConfig(r, configRef, configEntry, layerRefs, (tags as string[] | null | undefined) ?? [], what);
  });
}

/**
 * What a multi-image archive holds, for an error message: "2 platforms of
 * busybox:latest (linux/amd64, linux/arm64/v8)" when one reference was saved
 * for several platforms, else "3 images (a:1, b:2, sha256:…)".
 */
export function describeImages(images: readonly ArchiveImage[]): string {
  const names = images.map((i) => i.repoTags[0] ?? i.imageId);
  const platforms = images.map((i) => [i.os ?? '?', i.architecture ?? '?', ...(i.variant === null ? [] : [i.variant])].join('/'));
  if (images.length > 1 && new Set(names).size === 1) return `${images.length} platforms of ${names[0] as string} (${platforms.join(', ')})`;
  return `${images.length} images (${names.join(', ')})`;
}

/** "docker.io/library/busybox:latest" → "busybox:latest", as docker load shows it. */
export function familiarReference(name: string): string {
  return name.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
}

function blobPath(descriptor: unknown, what: string): string {
  if (!isRecord(descriptor) || typeof descriptor.digest !== 'string') throw invalid(`${what} has no digest`);
  const m = DIGEST.exec(descriptor.digest);
  if (!m) throw invalid(`${what} digest ${JSON.stringify(descriptor.digest)} is not a sha256 digest`);
  return `blobs/sha256/${m[1] as string}`;
}

/**
 * BuildKit's provenance/SBOM attestations: index entries that look like
 * manifests (platform unknown/unknown) but are no image anyone runs.
 */
function isAttestation(descriptor: unknown): boolean {
  if (!isRecord(descriptor)) return false;
  const ann = isRecord(descriptor.annotations) ? descriptor.annotations : {};
  if (ann['vnd.docker.reference.type'] === 'attestation-manifest') return true;
  const p = isRecord(descriptor.platform) ? descriptor.platform : {};
  return p.os === 'unknown' && p.architecture === 'unknown';
}

function imagesFromOciIndex(r: MetadataReader, index: unknown): ArchiveImage[] {
  const images: ArchiveImage[] = [];
  const skipped: string[] = [];
  // A document reached again under the same name adds nothing; walking it again would fan out (F³ for three nested indexes).
  const walked = new Set<string>();
  let descriptors = 0;
  const walk = (doc: unknown, what: string, refName: string | null, depth: number): void => {
    if (depth > 4) throw invalid(`${what}: image indexes nested more than 4 deep`);
    if (!isRecord(doc)) throw invalid(`${what} is not a JSON object (or is larger than 1 MiB)`);
    if (Array.isArray(doc.manifests)) {
      doc.manifests.forEach((d, i) => {
        if (++descriptors > MAX_INDEX_DESCRIPTORS) throw invalid(`index.json and the indexes it nests list more than ${MAX_INDEX_DESCRIPTORS} manifests`);
        const dw = `${what}.manifests[${i}]`;
        const path = blobPath(d, dw);
        if (isAttestation(d)) return;
        const ann = isRecord(d) && isRecord(d.annotations) ? d.annotations : {};
        const name = strOrNull(ann['io.containerd.image.name']) ?? refName;
        const key = `${path}\0${name ?? ''}`;
        if (walked.has(key)) return;
        walked.add(key);
        // containerd leaves out blobs of platforms that were never pulled.
        if (!r.entries.has(path)) {
          skipped.push(path);
          return;
        }
        walk(r.json(resolveFile(r.entries, path, dw)), `${dw} (${path})`, name, depth + 1);
      });
      return;
    }
    if (isRecord(doc.config) && Array.isArray(doc.layers)) {
      const configRef = blobPath(doc.config, `${what}.config`);
      const layerRefs = doc.layers.map((l, j) => blobPath(l, `${what}.layers[${j}]`));
      const configEntry = resolveFile(r.entries, configRef, `${what} config`);
      const image = imageFromConfig(r, configRef, configEntry, layerRefs, refName === null ? [] : [familiarReference(refName)], what);
      const same = images.findIndex((x) => x.imageId === image.imageId);
      if (same < 0) images.push(image);
      else {
        const known = images[same] as ArchiveImage;
        const tag = image.repoTags[0];
        if (tag !== undefined && !known.repoTags.includes(tag)) images[same] = { ...known, repoTags: [...known.repoTags, tag] };
      }
      return;
    }
    throw invalid(`${what} is neither an image index nor an image manifest`);
  };
  walk(index, 'index.json', null, 0);
  if (images.length === 0) {
    throw invalid(`index.json references no image whose manifest is in the archive${skipped.length > 0 ? ` (missing: ${skipped.slice(0, 3).join(', ')})` : ''}`);
  }
  return images;
}

/** Every `blobs/sha256/<hex>` file must hash to its name: the cheapest corruption check there is. */
function checkBlobDigests(contents: ArchiveContents): void {
  for (const e of contents.entries.values()) {
    const m = SHA256_BLOB.exec(e.path);
    if (m && e.type === 'file' && e.sha256 !== null && e.sha256 !== m[1]) throw invalid(`blob ${e.path} does not match its digest (sha256 ${e.sha256}): corrupted archive`, { path: e.path });
  }
}

/** Summarizes and validates what the streaming pass saw. */
export function summarizeArchive(contents: ArchiveContents): ArchiveSummary {
  checkBlobDigests(contents);
  const r = metadataReader(contents);
  const manifest = contents.entries.get('manifest.json');
  const index = contents.entries.get('index.json');
  let layout: ArchiveLayout;
  let images: ArchiveImage[];
  if (manifest !== undefined) {
    layout = index === undefined ? 'docker' : 'docker+oci';
    images = imagesFromDockerManifest(r, r.json(resolveFile(r.entries, 'manifest.json', 'manifest')));
  } else if (index !== undefined) {
    layout = 'oci';
    images = imagesFromOciIndex(r, r.json(resolveFile(r.entries, 'index.json', 'index')));
  } else {
    throw invalid(
      contents.entries.size === 0
        ? 'the archive is empty'
        : 'not a docker save archive: it has neither manifest.json nor index.json (make it with `docker save IMAGE`, not `docker export`)',
    );
  }
  const unloadable: string[] = [];
  if (layout === 'oci') unloadable.push('OCI layout without manifest.json: Docker before 25 cannot load it');
  for (const img of images) {
    for (const l of img.layers) {
      if (l.compression === 'zstd') unloadable.push(`layer ${l.path} is zstd-compressed: Docker 20.10 cannot load it`);
    }
  }
  return { layout, gzipped: contents.gzipped, images, unloadableBy2010: unloadable };
}
