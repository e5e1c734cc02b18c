/**
 * Checks bytes we streamed against what Glance recorded for them: size,
 * `checksum` (md5) and `os_hash_value` when its algorithm is sha512 (Glance's
 * default `hashing_algorithm`). Returns human-readable mismatches; empty = match.
 */
import type { Digests } from '../stream/digest-sink.js';
import type { GlanceImage } from './glance-image.js';

export function compareWithGlance(image: GlanceImage, digests: Digests): string[] {
  const problems: string[] = [];
  if (image.size !== null && image.size !== digests.bytes) problems.push(`size: Glance says ${image.size} bytes, the stream had ${digests.bytes}`);
  const sha512Known = image.osHashAlgo === 'sha512' && image.osHashValue !== null;
  if (sha512Known && image.osHashValue !== digests.sha512) problems.push(`os_hash_value (sha512): Glance has ${image.osHashValue}, the stream hashes to ${digests.sha512}`);
  if (image.checksum !== null && image.checksum !== digests.md5) problems.push(`checksum (md5): Glance has ${image.checksum}, the stream hashes to ${digests.md5}`);
  if (!sha512Known && image.checksum === null) {
    problems.push(`Glance records neither a sha512 os_hash_value nor a checksum for image ${image.id} (os_hash_algo ${image.osHashAlgo ?? 'unset'}): nothing to verify against`);
  }
  return problems;
}
