/**
 * oslo.messaging's version rule (`_utils.version_is_compatible`): a server
 * serving X.Y[.Z] accepts a request for the same major X with a minor ≤ Y, and
 * on an equal minor a revision ≤ Z.
 */

/** Parsed "X.Y[.Z]". Throws the same kind of error Python's int() would (ValueError). */
export function parseVersion(v: string): [number, number, number] {
  const parts = v.split('.');
  const nums = [parts[0], parts[1], parts[2] ?? '0'].map((p) => {
    if (p === undefined || !/^\s*[-+]?\d+\s*$/.test(p)) throw new Error(`invalid literal for int() with base 10: '${p ?? ''}'`);
    return Number(p);
  });
  return [nums[0] ?? 0, nums[1] ?? 0, nums[2] ?? 0];
}

export function isVersionCompatible(served: string, requested: string): boolean {
  const [sMaj, sMin, sRev] = parseVersion(served);
  const [rMaj, rMin, rRev] = parseVersion(requested);
  if (rMaj !== sMaj) return false;
  if (rMin > sMin) return false;
  if (rMin === sMin && rRev > sRev) return false;
  return true;
}
