/**
 * oslo.messaging's version rule (`_utils.version_is_compatible`): a server
 * serving X.Y[.Z] accepts a request for the same major X with a minor ≤ Y, and
 * on an equal minor a revision ≤ Z.
 *
 * The parts are compared lazily, in Python's order, because a Python server's
 * answer to an odd version depends on it: "2" against "1.3" is simply
 * incompatible (the majors differ before the missing minor is looked at), "1"
 * raises IndexError, "1.x" raises ValueError, and "1.2.x" is compatible (the
 * revision is only read on an equal minor).
 */

/** The Python exception a malformed version makes oslo's dispatcher raise; the caller re-raises it. */
export class VersionError extends Error {
  readonly pythonClass: 'ValueError' | 'IndexError';

  constructor(pythonClass: 'ValueError' | 'IndexError', message: string) {
    super(message);
    this.pythonClass = pythonClass;
  }
}

/** Python's int() of one version part (surrounding blanks, a sign and digit underscores allowed). */
function pyInt(part: string | undefined): number {
  if (part === undefined) throw new VersionError('IndexError', 'list index out of range');
  if (!/^\s*[-+]?\d+(_\d+)*\s*$/.test(part)) throw new VersionError('ValueError', `invalid literal for int() with base 10: '${part}'`);
  return Number(part.replace(/_/g, ''));
}

/** Parses "X.Y[.Z]" strictly (every part read); throws VersionError as Python's int() would. */
export function parseVersion(v: string): [number, number, number] {
  const parts = v.split('.');
  return [pyInt(parts[0]), pyInt(parts[1]), parts[2] === undefined ? 0 : pyInt(parts[2])];
}

// Every request carries a version string and servers see few distinct ones: remember the answers
// (bounded, so a flood of made-up versions cannot grow it).
const compatCache = new Map<string, boolean>();
const COMPAT_CACHE_MAX = 256;

/** `version_is_compatible(served, requested)`, evaluated in Python's order; throws VersionError where Python raises. */
export function isVersionCompatible(served: string, requested: string): boolean {
  const key = `${served}|${requested}`;
  const cached = compatCache.get(key);
  if (cached !== undefined) return cached;
  const answer = computeCompatible(served, requested);
  if (compatCache.size >= COMPAT_CACHE_MAX) compatCache.clear();
  compatCache.set(key, answer);
  return answer;
}

function computeCompatible(served: string, requested: string): boolean {
  const req = requested.split('.');
  const imp = served.split('.');
  if (pyInt(req[0]) !== pyInt(imp[0])) return false;
  const reqMinor = pyInt(req[1]);
  const impMinor = pyInt(imp[1]);
  if (reqMinor > impMinor) return false;
  if (reqMinor === impMinor && pyInt(req[2] ?? '0') > pyInt(imp[2] ?? '0')) return false;
  return true;
}
