/**
 * `[compute] ulimits` items: `name=soft[:hard]`, as `docker run --ulimit`.
 * Raising a hard limit inside a container needs CAP_SYS_RESOURCE, so Cloudera
 * Manager's pam_limits needs these set here, at or above its limits.d values.
 */
import type { Ulimit } from '../../docker/docker-engine.js';

/** Names Docker accepts (from the Linux RLIMIT_* set). */
export const ULIMIT_NAMES = ['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'] as const;

function limit(text: string, spec: string): number {
  const t = text.trim();
  if (t === '-1' || t.toLowerCase() === 'unlimited') return -1;
  if (!/^\d{1,18}$/.test(t)) throw new Error(`limit must be a non-negative integer, -1 or "unlimited", got ${JSON.stringify(t)} in ${JSON.stringify(spec)}`);
  return Number(t);
}

export function parseUlimit(spec: string): Ulimit {
  const m = /^([a-z]+)=([^:]+)(?::(.+))?$/.exec(spec.trim());
  if (!m) throw new Error(`expected name=soft[:hard], got ${JSON.stringify(spec)}`);
  const name = m[1] as string;
  if (!(ULIMIT_NAMES as readonly string[]).includes(name)) throw new Error(`unknown ulimit ${JSON.stringify(name)}: known are ${ULIMIT_NAMES.join(', ')}`);
  const soft = limit(m[2] as string, spec);
  const hard = m[3] === undefined ? soft : limit(m[3], spec);
  if (hard !== -1 && (soft === -1 || soft > hard)) throw new Error(`soft limit must not exceed the hard limit in ${JSON.stringify(spec)}`);
  return { name, soft, hard };
}
