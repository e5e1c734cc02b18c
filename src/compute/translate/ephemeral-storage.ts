/**
 * The flavor's ephemeral disk. In a VM it is a second disk that cloud-init
 * mounts at /mnt; Sahara (and Hadoop images generally) put DataNode and
 * scratch data there (`storage_paths()` falls back to /mnt without volumes).
 * In a container it is a per-instance host directory bind-mounted at the same
 * place: data there bypasses the overlay filesystem (no copy-up, no
 * whiteouts), survives reboots and stop/start, is left out of snapshots (as a
 * VM's ephemeral disk is) and goes with the instance on destroy.
 *
 * A bind mount has no size of its own: the flavor's ephemeral_gb is counted
 * in the host's local_gb_used but not enforced inside the container.
 */
import path from 'node:path';
import type { BindMount } from '../../docker/docker-engine.js';

/**
 * Where an ephemeral mount would hide what the image or the kernel provides:
 * these directories and everything below them ...
 */
const RESERVED_TREES = ['/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/libx32', '/proc', '/run', '/sbin', '/sys', '/usr', '/var/lib/heat-cfntools', '/var/lib/nova-docker-bridge'];
/** ... and these directories themselves (a data directory below them is fine). */
const RESERVED_DIRS = ['/', '/home', '/opt', '/root', '/var', '/var/lib'];

/**
 * `[compute] ephemeral_mount_point`: "" (no ephemeral mount) or an absolute,
 * normalized path outside the system directories. Throws a message naming
 * what is wrong.
 */
export function parseEphemeralMountPoint(raw: string): string | null {
  const p = raw.trim();
  if (p === '') return null;
  if (!p.startsWith('/')) throw new Error(`must be an absolute path or empty, got ${JSON.stringify(p)}`);
  if (path.posix.normalize(p) !== p || (p.length > 1 && p.endsWith('/'))) throw new Error(`must be a normalized path (no "..", "." or trailing "/"), got ${JSON.stringify(p)}`);
  const tree = RESERVED_TREES.find((r) => p === r || p.startsWith(`${r}/`));
  if (tree !== undefined) throw new Error(`must not be ${tree} or below it (it would hide the image's own files), got ${JSON.stringify(p)}`);
  if (RESERVED_DIRS.includes(p)) throw new Error(`must not be ${p} itself (it would hide the image's own files; a directory below it is fine), got ${JSON.stringify(p)}`);
  return p;
}

/** The ephemeral disk an instance gets, or why it gets none. */
export type EphemeralPlan =
  | { readonly kind: 'mount'; readonly mount: BindMount; readonly sizeGb: number }
  | { readonly kind: 'none'; readonly note: string | null };

/**
 * @param ephemeralGb the flavor's ephemeral_gb
 * @param mountPoint parsed `[compute] ephemeral_mount_point` (null: off)
 * @param hostPath the instance's ephemeral directory on the Engine's host
 */
export function ephemeralStorage(ephemeralGb: number, mountPoint: string | null, hostPath: string): EphemeralPlan {
  if (ephemeralGb <= 0) return { kind: 'none', note: null };
  if (mountPoint === null) {
    return { kind: 'none', note: `flavor ephemeral disk (${ephemeralGb} GB) not mounted: [compute] ephemeral_mount_point is empty; the instance's data stays in its root filesystem` };
  }
  return { kind: 'mount', mount: { source: hostPath, target: mountPoint, readOnly: false }, sizeGb: ephemeralGb };
}

/**
 * Why a resize to a flavor with `newEphemeralGb` cannot be done in place, or
 * null. Docker cannot add or remove a mount of an existing container, so a
 * resize may change the ephemeral disk's size (bookkeeping only) but not
 * whether there is one.
 *
 * @param mounted whether the container has its ephemeral mount now
 */
export function ephemeralResizeRefusal(flavorName: string | null, newEphemeralGb: number, mountPoint: string | null, mounted: boolean): string | null {
  if (mountPoint === null) return null;
  const flavor = flavorName === null ? 'the new flavor' : `flavor ${flavorName}`;
  if (newEphemeralGb > 0 && !mounted) {
    return `${flavor} has an ephemeral disk (${newEphemeralGb} GB) and the instance has none at ${mountPoint}: Docker cannot add a mount to an existing container; create a new server with the new flavor`;
  }
  if (newEphemeralGb <= 0 && mounted) {
    return `${flavor} has no ephemeral disk and the instance has one at ${mountPoint}: resizing would leave its data unaccounted for (Docker cannot remove the mount); choose a flavor with an ephemeral disk`;
  }
  return null;
}
