/**
 * Docker API version negotiation. The adapter is written against API 1.41
 * (Docker 20.10); it accepts Engines down to 1.40 and pins every request to one
 * version so the Engine's behaviour cannot change under us.
 */

/** The API version this adapter was written and tested against. */
export const PREFERRED_API_VERSION = '1.41';
/** Older Engines lack fields the driver relies on (e.g. HostConfig.Init, NanoCpus on update). */
export const MINIMUM_API_VERSION = '1.40';

/** Compares "1.41"-style versions numerically: negative, zero or positive. */
export function compareApiVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10));
  const pb = b.split('.').map((x) => Number.parseInt(x, 10));
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Outcome of {@link negotiateApiVersion}. */
export type ApiVersionChoice = { ok: true; version: string } | { ok: false; reason: string };

/**
 * Picks the version to speak: ours, or the Engine's highest when it is older, or
 * the Engine's lowest when it no longer accepts ours (newer Engines drop old
 * versions; the fields we use are unchanged there).
 */
export function negotiateApiVersion(engineMax: string, engineMin: string | null): ApiVersionChoice {
  if (!/^\d+\.\d+$/.test(engineMax)) return { ok: false, reason: `the Engine reported an unparsable API version ${JSON.stringify(engineMax)}` };
  if (compareApiVersions(engineMax, MINIMUM_API_VERSION) < 0) {
    return { ok: false, reason: `Docker Engine API ${engineMax} is too old: at least ${MINIMUM_API_VERSION} (Docker 19.03) is required` };
  }
  if (engineMin !== null && /^\d+\.\d+$/.test(engineMin) && compareApiVersions(engineMin, PREFERRED_API_VERSION) > 0) {
    return { ok: true, version: engineMin };
  }
  return { ok: true, version: compareApiVersions(engineMax, PREFERRED_API_VERSION) < 0 ? engineMax : PREFERRED_API_VERSION };
}
