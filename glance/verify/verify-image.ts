/**
 * `glance-docker verify`: downloads an image's data and checks it the way a
 * compute host would before trusting it: the bytes against Glance's size,
 * checksum and os_hash_value, the archive's structure and digests, and the
 * recorded docker_image_id / docker_repo_tags against the manifest.
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isBridgeError, toBridgeError } from '../../src/errors/bridge-error.js';
import { ArchiveInspector } from '../../src/image-archive/archive-inspector.js';
import { describeImages, type ArchiveSummary } from '../../src/image-archive/archive-manifest.js';
import { repoTagsValue } from '../../src/images/image-properties.js';
import type { GlanceClient } from '../../src/openstack/glance-client.js';
import type { GlanceImage } from '../../src/openstack/glance-image.js';
import { compareWithGlance } from '../../src/openstack/image-digests.js';
import { ByteTap } from '../../src/stream/byte-tap.js';
import type { Digests } from '../../src/stream/digest-sink.js';
import { SideTee } from '../../src/stream/side-tee.js';
import { WorkerDigestSink } from '../../src/stream/worker-digest-sink.js';

export interface VerifyReport {
  readonly image: GlanceImage;
  readonly digests: Digests | null;
  /** Null when the archive is unusable (see problems). */
  readonly summary: ArchiveSummary | null;
  /** Every mismatch found; empty means the image is sound. */
  readonly problems: readonly string[];
}

/** Pure: the recorded docker properties against what the archive holds. */
export function compareRecordedProperties(image: GlanceImage, summary: ArchiveSummary): string[] {
  const problems: string[] = [];
  if (summary.images.length !== 1) problems.push(`the archive holds ${describeImages(summary.images)}, not one`);
  const archive = summary.images[0];
  if (archive === undefined) return problems;
  const recordedId = image.properties.docker_image_id;
  if (recordedId !== undefined && recordedId !== archive.imageId) problems.push(`docker_image_id: Glance records ${String(recordedId)}, the archive holds ${archive.imageId}`);
  const recordedTags = image.properties.docker_repo_tags;
  if (typeof recordedTags === 'string' && recordedTags !== repoTagsValue(archive.repoTags)) {
    problems.push(`docker_repo_tags: Glance records ${JSON.stringify(recordedTags)}, the archive has ${JSON.stringify(archive.repoTags.join(','))}`);
  }
  if (image.containerFormat !== 'docker') problems.push(`container_format is ${image.containerFormat ?? 'unset'}, not docker`);
  return problems;
}

export async function verifyImage(glance: GlanceClient, image: GlanceImage, options: { onProgress?: (bytes: number) => void; signal?: AbortSignal } = {}): Promise<VerifyReport> {
  if (image.status !== 'active') return { image, digests: null, summary: null, problems: [`image status is ${image.status}, not active`] };
  const download = await glance.downloadImageData(image.id, options.signal);
  const digest = new WorkerDigestSink();
  const inspector = new ArchiveInspector();
  const discard = new Writable({
    highWaterMark: 1024 * 1024,
    write(_c, _e, cb) {
      cb();
    },
  });
  const problems: string[] = [];
  try {
    await pipeline(download.stream, new ByteTap((_n, total) => options.onProgress?.(total)), new SideTee([digest, inspector]), discard);
  } catch (err) {
    const e = toBridgeError(err);
    // A broken archive is a finding; a broken connection is a failure to verify.
    if (!isBridgeError(e, 'ERR_INVALID_IMAGE')) throw e;
    problems.push(`archive: ${e.message}`);
    // The bytes may still have arrived in full: hash comparison is only possible if the digest sink ended.
    return { image, digests: null, summary: null, problems };
  }
  const digests = digest.digests;
  problems.push(...compareWithGlance(image, digests));
  const summary = await inspector.summary;
  problems.push(...compareRecordedProperties(image, summary));
  return { image, digests, summary, problems };
}
