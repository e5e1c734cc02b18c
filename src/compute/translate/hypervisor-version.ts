/**
 * Engine version → Nova's integer hypervisor_version, as
 * oslo_utils.versionutils.convert_version_to_int does for "x.y.z":
 * x*1000000 + y*1000 + z. Docker versions carry suffixes
 * ("20.10.24+dfsg1", "24.0.7-ce", "v25.0.0"), which are dropped.
 */

export function convertVersionToInt(version: string): number {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version.trim());
  if (!m) return 0;
  const parts = [m[1], m[2], m[3]].map((p) => (p === undefined ? 0 : Number.parseInt(p, 10)));
  return parts.reduce((acc, p) => acc * 1000 + Math.min(p, 999), 0);
}
