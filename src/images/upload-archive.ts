/**
 * Uploads a `docker save` archive to Glance as a new image (`glance-docker
 * import`, and snapshots): one pass that uploads it while hashing it (md5 and/or sha512, what Glance computes) and
 * inspecting it (tar structure, manifest, layers), with bounded memory.
 *
 *   source ─▶ progress tap ─▶ ChunkCoalescer ─▶ SideTee ──▶ PUT /v2/images/{id}/file
 *                                ├─▶ DigestSink or WorkerDigestSink (md5 and/or sha512)
 *                                └─▶ ArchiveInspector
 *
 * The manifest comes last in a docker save tar, so the archive's verdict is
 * only known after the last byte; bytes already sent cannot be recalled, so
 * any failure (bad archive, hash mismatch, Glance error, Ctrl-C) deletes the
 * image this run created: nothing stays queued/saving/active by accident.
 */
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { BridgeError, toBridgeError } from '../errors/bridge-error.js';
import { ArchiveInspector } from '../image-archive/archive-inspector.js';
import { describeImages, summarizeArchive, type ArchiveImage, type ArchiveSummary } from '../image-archive/archive-manifest.js';
import { prescanArchive } from '../image-archive/archive-prescan.js';
import type { GlanceClient } from '../openstack/glance-client.js';
import type { GlanceImage } from '../openstack/glance-image.js';
import { compareWithGlance } from '../openstack/image-digests.js';
import { propertyPatch } from '../openstack/json-patch.js';
import { ByteTap } from '../stream/byte-tap.js';
import { ChunkCoalescer } from '../stream/chunk-coalescer.js';
import { DigestSink, type Digests } from '../stream/digest-sink.js';
import { waitForFirstBytes } from '../stream/first-bytes.js';
import { SideTee } from '../stream/side-tee.js';
import type { HashAlgorithm } from '../stream/hash-workers.js';
import { WorkerDigestSink } from '../stream/worker-digest-sink.js';
import { archiveProperties, defaultImageName } from './image-properties.js';

/** Where the archive comes from. */
export interface ArchiveSource {
  readonly stream: Readable;
  /** Bytes, when known (a file): sent as Content-Length. */
  readonly length: number | null;
  /** For messages: "file busybox.tar", "stdin", "docker image busybox:latest". */
  readonly description: string;
  /**
   * The path, when the source is a regular file: its metadata is then read
   * before the upload ({@link prescanArchive}) and the image created with the
   * archive's properties, which saves the PATCH after the upload.
   */
  readonly file?: string;
}

/** Options of {@link uploadArchiveData}: filling an image record that already exists. */
export interface UploadArchiveDataOptions {
  readonly glance: GlanceClient;
  readonly source: ArchiveSource;
  /** --name; null = the archive's first repo tag (patched in after the upload). */
  readonly name: string | null;
  /** The operator's own --property values: never overridden by archive facts. */
  readonly userProperties: Readonly<Record<string, string>>;
  /**
   * Properties set (string) or removed (null) with the archive facts after the
   * upload, over them (a snapshot's `image_location`, and removing the
   * `docker_repo_tags` it inherited from its base image).
   */
  readonly extraProperties?: Readonly<Record<string, string | null>>;
  /** Accept archives Docker 20.10 cannot load (OCI-only, zstd layers). */
  readonly allowUnloadable: boolean;
  /**
   * The digests computed while uploading and compared with Glance's afterwards
   * (default md5: Glance's `checksum`, recorded whatever its hashing_algorithm,
   * and the cheapest; each digest costs CPU beside the transfer).
   */
  readonly hashAlgorithms?: readonly HashAlgorithm[];
  /**
   * Where the digests are computed (default `inline`). `inline` hashes on this
   * thread: the least CPU and memory, the right choice for a CLI whose only
   * job is the upload (on 2 cores it is faster than a worker, whose copies
   * into shared blocks compete with Glance for the CPU). `worker` hashes on
   * worker threads so a long upload never holds up this thread's event loop:
   * what the compute service needs while it answers RPC calls.
   */
  readonly hashing?: 'inline' | 'worker';
  /**
   * Also hash every layer and check it against the config's `rootfs.diff_ids`
   * (OCI blobs against their names); default false (files up to 1 MiB, which
   * may be configs, are hashed either way). The layers' presence,
   * sizes and paths are always checked, and the whole stream is always
   * compared with Glance's hash. Off by default because it costs ~1 CPU-s per
   * GiB beside the upload (on a 2-core host shared with Glance, ~7 % of the
   * upload's wall time, measured in docs/performance.md), and because the two
   * readers of the image check layers anyway: `docker load` at spawn refuses a
   * layer that does not match its diff_id, and `glance-docker verify` hashes
   * them on demand. On (`--verify-layers`), a corrupt file is refused before it
   * is stored.
   */
  readonly verifyLayerDigests?: boolean;
  /** Wait until Glance reports the image active (it normally is when the upload returns). */
  readonly wait: boolean;
  readonly waitTimeoutMs?: number;
  readonly onProgress?: (bytes: number) => void;
  readonly signal?: AbortSignal;
  /**
   * Properties the record was created with from a pre-scan of the archive: any
   * the upload's own inspection does not confirm are removed afterwards.
   */
  readonly presetProperties?: readonly string[];
}

/** Options of {@link uploadArchive}: a new image record, filled. */
export interface UploadArchiveOptions extends UploadArchiveDataOptions {
  readonly visibility: string | null;
  /** Properties set at creation (scheduling, Sahara, --property). */
  readonly properties: Readonly<Record<string, string>>;
  /** Human-readable notes ("created image …", "deleted …"). */
  readonly note?: (line: string) => void;
}

export interface UploadArchiveResult {
  readonly image: GlanceImage;
  readonly archive: ArchiveImage;
  readonly summary: ArchiveSummary;
  readonly digests: Digests;
}

/** The one docker image a Glance image may hold, or ERR_INVALID_IMAGE. */
export function singleImage(summary: ArchiveSummary, allowUnloadable: boolean): ArchiveImage {
  if (summary.images.length !== 1) {
    throw new BridgeError(
      'ERR_INVALID_IMAGE',
      `the archive holds ${describeImages(summary.images)}; a Glance image holds one: docker save one image (and, on Docker ≥ 28, one platform: --platform linux/amd64) at a time`,
    );
  }
  if (!allowUnloadable && summary.unloadableBy2010.length > 0) {
    throw new BridgeError('ERR_INVALID_IMAGE', `the archive cannot be loaded by the compute hosts' Docker 20.10: ${summary.unloadableBy2010.join('; ')} (--allow-unloadable imports it anyway)`);
  }
  return summary.images[0] as ArchiveImage;
}

export async function uploadArchive(o: UploadArchiveOptions): Promise<UploadArchiveResult> {
  const note = o.note ?? (() => undefined);
  // Nothing is created before the input has its first byte (docker save can take minutes to
  // start) or is known to be empty.
  if (!(await waitForFirstBytes(o.source.stream, o.signal, `waiting for ${o.source.description}`))) {
    throw new BridgeError('ERR_INVALID_IMAGE', `the input is empty (0 bytes): not a docker save archive (${o.source.description})`);
  }
  // A file's manifest and config can be read before the upload, so the record is created
  // complete; the upload's inspection stays the authority (uploadArchiveData compares).
  const early = o.source.file === undefined ? null : await prescanImage(o.source.file, o.allowUnloadable);
  const preset = Object.entries(early === null ? {} : archiveDesired(early, o)).filter((kv): kv is [string, string] => kv[1] !== null);
  const presetProps = Object.fromEntries(preset.filter(([k]) => k !== 'name'));
  const presetProperties = Object.keys(presetProps);
  const presetName = preset.find(([k]) => k === 'name')?.[1];
  const provisionalName = o.name ?? presetName ?? `importing from ${o.source.description}`.slice(0, 255);
  // Our own ID: a create whose answer is lost (timeout, reset, Ctrl-C, a 5xx from a proxy) may
  // still have made the record, and without its ID nothing could delete it.
  const id = randomUUID();
  let created: GlanceImage;
  try {
    created = await o.glance.createImage(
      {
        id,
        name: provisionalName,
        containerFormat: 'docker',
        diskFormat: 'raw',
        ...(o.visibility === null ? {} : { visibility: o.visibility }),
        properties: { ...o.properties, ...presetProps },
      },
      o.signal,
    );
  } catch (err) {
    const failure = toBridgeError(err);
    const status = failure.details.http_status;
    // A 4xx is Glance refusing the create: nothing exists.
    if (typeof status === 'number' && status >= 400 && status < 500) throw failure;
    throw await cleanUp(o.glance, id, failure, note);
  }
  note(`created Glance image ${created.id}`);
  try {
    return await uploadArchiveData(created, { ...o, presetProperties });
  } catch (err) {
    const failure = toBridgeError(err);
    throw await cleanUp(o.glance, created.id, failure, note);
  }
}

/**
 * Uploads, verifies and describes the data of an image record that exists
 * already (`queued`): what a snapshot does with the record Nova created. On
 * failure it throws and leaves the record to the caller (Nova deletes a
 * failed snapshot's image itself; {@link uploadArchive} deletes its own).
 */
export async function uploadArchiveData(created: GlanceImage, o: UploadArchiveDataOptions): Promise<UploadArchiveResult> {
  const algorithms = o.hashAlgorithms ?? ['md5'];
  const digest = o.hashing === 'worker' ? new WorkerDigestSink({ algorithms }) : new DigestSink({ algorithms });
  const inspector = new ArchiveInspector({ verifyLayerDigests: o.verifyLayerDigests === true });
  const tap = new ByteTap((_n, total) => o.onProgress?.(total));
  const tee = new SideTee([digest, inspector]);
  // stdin and docker save deliver 64 KiB chunks; hashing and the socket write run per MiB.
  const flowing = pipeline(o.source.stream, tap, new ChunkCoalescer(), tee);
  // The upload consumes the tee; its failure destroys the tee (and so the source), and vice versa.
  const upload = o.glance.uploadImageData(created.id, tee, { ...(o.source.length === null ? {} : { length: o.source.length }), ...(o.signal ? { signal: o.signal } : {}) });
  const [up, flow] = await Promise.allSettled([upload, flowing]);
  // The archive's verdict explains a failed upload better than "socket closed".
  const inspected = await inspector.summary.then(
    (s) => ({ ok: true as const, s }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  if (!inspected.ok && (up.status === 'rejected' || flow.status === 'rejected')) {
    const ie = toBridgeError(inspected.e);
    if (ie.code === 'ERR_INVALID_IMAGE') throw ie;
  }
  if (up.status === 'rejected') throw up.reason;
  if (flow.status === 'rejected') throw flow.reason;
  if (!inspected.ok) throw inspected.e;
  const summary = inspected.s;
  const archive = singleImage(summary, o.allowUnloadable);
  const digests = digest.digests;

  const desired: Record<string, string | null> = archiveDesired(archive, o);
  for (const k of o.presetProperties ?? []) if (!(k in desired)) desired[k] = null;
  // The patch is computed from the record as it was before the upload (an
  // upload changes only core attributes: size, checksum, status), and its
  // answer is the record Glance's hashes are read from. When the record was
  // created complete (a pre-scanned file) there is nothing to patch, and a GET
  // (~11 ms against this Glance) replaces the PATCH (~35 ms). A mismatch found
  // afterwards loses nothing: the caller deletes the image either way.
  const current: Record<string, unknown> = { ...created.properties, name: created.name };
  const patch = propertyPatch(current, desired);
  let image = patch.length === 0 ? await o.glance.getImage(created.id, o.signal) : await o.glance.updateImage(created.id, patch, o.signal);
  if (o.wait) image = await waitActive(o.glance, image, o.waitTimeoutMs ?? 600_000, o.signal);
  const problems = compareWithGlance(image, digests);
  if (problems.length > 0) {
    throw new BridgeError('ERR_INVALID_IMAGE', `Glance stored something other than what was sent: ${problems.join('; ')}`, { details: { image_id: created.id } });
  }
  return { image, archive, summary, digests };
}

/** What the archive's facts make of the record: properties, and the name when none was given. */
function archiveDesired(archive: ArchiveImage, o: UploadArchiveDataOptions): Record<string, string | null> {
  const desired: Record<string, string | null> = { ...archiveProperties(archive, o.userProperties), ...o.extraProperties };
  if (o.name === null) desired.name = defaultImageName(archive);
  return desired;
}

/** The one image a pre-scan of `file` finds, or null (not pre-scannable, or for the upload's inspection to refuse). */
async function prescanImage(file: string, allowUnloadable: boolean): Promise<ArchiveImage | null> {
  const contents = await prescanArchive(file);
  if (contents === null) return null;
  try {
    return singleImage(summarizeArchive(contents), allowUnloadable);
  } catch {
    return null;
  }
}

async function waitActive(glance: GlanceClient, image: GlanceImage, timeoutMs: number, signal: AbortSignal | undefined): Promise<GlanceImage> {
  const deadline = Date.now() + timeoutMs;
  let current = image;
  while (current.status !== 'active') {
    if (current.status === 'killed' || current.status === 'deleted' || current.status === 'queued') {
      throw new BridgeError('ERR_GLANCE', `Glance image ${image.id} went to status ${current.status} instead of active`);
    }
    if (Date.now() > deadline) throw new BridgeError('ERR_TIMEOUT', `Glance image ${image.id} still ${current.status} after ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, 500));
    current = await glance.getImage(image.id, signal);
  }
  return current;
}

/**
 * Deletes the image a failed import created. Its own deadline, not the
 * caller's signal: after Ctrl-C the clean-up must still run.
 */
async function cleanUp(glance: GlanceClient, id: string, failure: BridgeError, note: (line: string) => void): Promise<BridgeError> {
  try {
    if (!(await glance.deleteImageIfExists(id, AbortSignal.timeout(60_000)))) return failure;
    note(`deleted the incomplete Glance image ${id}`);
    return new BridgeError(failure.code, failure.message, { cause: failure.cause ?? failure, details: { ...failure.details, image_id: id, image_deleted: true } });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return new BridgeError(failure.code, `${failure.message}; the incomplete Glance image ${id} could not be deleted (${why}): delete it with "openstack image delete ${id}"`, {
      cause: failure,
      details: { ...failure.details, image_id: id, image_deleted: false },
    });
  }
}
