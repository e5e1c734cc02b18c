/**
 * Checks bytes we streamed against what Glance recorded for them: size,
 * `os_hash_value` when its algorithm is sha512 (Glance's default
 * `hashing_algorithm`) and `checksum` (md5), each when both sides have it.
 * Returns human-readable mismatches; empty = match.
 */
import type { Digests } from '../stream/digest-sink.js';
import type { HashAlgorithm } from '../stream/hash-workers.js';
import type { GlanceImage } from './glance-image.js';

export function compareWithGlance(image: GlanceImage, digests: Digests): string[] {
  const problems: string[] = [];
  if (image.size !== null && image.size !== digests.bytes) problems.push(`size: Glance says ${image.size} bytes, the stream had ${digests.bytes}`);
  let compared = 0;
  const sha512Known = image.osHashAlgo === 'sha512' && image.osHashValue !== null;
  if (sha512Known && digests.sha512 !== null) {
    compared++;
    if (image.osHashValue !== digests.sha512) problems.push(`os_hash_value (sha512): Glance has ${image.osHashValue}, the stream hashes to ${digests.sha512}`);
  }
  if (image.checksum !== null && digests.md5 !== null) {
    compared++;
    if (image.checksum !== digests.md5) problems.push(`checksum (md5): Glance has ${image.checksum}, the stream hashes to ${digests.md5}`);
  }
  if (compared === 0) {
    problems.push(
      `nothing to verify against: Glance records ${sha512Known ? 'a sha512 os_hash_value' : `no sha512 os_hash_value (os_hash_algo ${image.osHashAlgo ?? 'unset'})`} and ${image.checksum === null ? 'no' : 'a'} checksum for image ${image.id}, and the stream was hashed with ${[digests.sha512 === null ? null : 'sha512', digests.md5 === null ? null : 'md5'].filter((x) => x !== null).join(' and ') || 'nothing'}`,
    );
  }
  return problems;
}

/**
 * The digests worth computing for a download of `image`: its sha512
 * os_hash_value when Glance has one (the secure hash; md5 would only cost CPU),
 * else its md5 checksum, else both (and the comparison will say there is
 * nothing to verify against).
 */
export function algorithmsToVerify(image: GlanceImage): HashAlgorithm[] {
  if (image.osHashAlgo === 'sha512' && image.osHashValue !== null) return ['sha512'];
  if (image.checksum !== null) return ['md5'];
  return ['md5', 'sha512'];
}
