/**
 * Instance metadata → container environment (as nova-docker did), made safe:
 * names are sanitized to shell-usable identifiers, reserved variables that
 * change how programs run (PATH, HOME, LD_PRELOAD, …) are never set from
 * tenant data, and sizes are bounded. Skipped entries are reported, not fatal:
 * metadata is free-form user data and must not break a boot.
 */

/** Variables a tenant must never set: they alter program lookup, loading or identity. */
const RESERVED = new Set(['PATH', 'HOME', 'HOSTNAME', 'USER', 'LOGNAME', 'SHELL', 'TERM', 'PWD', 'OLDPWD', 'IFS', 'ENV', 'BASH_ENV', 'container', 'PS4']);
const RESERVED_PREFIXES = ['LD_', 'DYLD_', 'BASH_FUNC_'];

/** Limits of the result. */
export const ENV_LIMITS = { maxVariables: 128, maxNameLength: 255, maxValueBytes: 4096 } as const;

export interface EnvResult {
  /** "NAME=value" entries, sorted by name for a stable container config. */
  readonly env: readonly string[];
  /** Metadata keys that were not exported, and why. */
  readonly skipped: ReadonlyArray<{ readonly key: string; readonly reason: string }>;
}

/** A metadata key as an environment variable name: invalid characters become "_". */
export function envName(key: string): string {
  let name = key.replace(/[^A-Za-z0-9_]/g, '_');
  if (/^[0-9]/.test(name)) name = `_${name}`;
  return name.slice(0, ENV_LIMITS.maxNameLength);
}

export function isReservedEnvName(name: string): boolean {
  return RESERVED.has(name) || RESERVED.has(name.toUpperCase()) || RESERVED_PREFIXES.some((p) => name.toUpperCase().startsWith(p));
}

export function metadataToEnv(metadata: Readonly<Record<string, string>>): EnvResult {
  const env: string[] = [];
  const skipped: Array<{ key: string; reason: string }> = [];
  const taken = new Map<string, string>();
  // Sorted keys make collisions ("a-b" and "a.b" both → "a_b") resolve the same way every time.
  for (const key of Object.keys(metadata).sort()) {
    const value = metadata[key] as string;
    const name = envName(key);
    if (name === '' || /^_+$/.test(name)) {
      skipped.push({ key, reason: 'no usable characters for a variable name' });
    } else if (isReservedEnvName(name)) {
      skipped.push({ key, reason: `${name} is reserved` });
    } else if (taken.has(name)) {
      skipped.push({ key, reason: `${name} already set from metadata key ${JSON.stringify(taken.get(name))}` });
    } else if (value.includes('\0')) {
      skipped.push({ key, reason: 'value contains a NUL byte' });
    } else if (Buffer.byteLength(value, 'utf8') > ENV_LIMITS.maxValueBytes) {
      skipped.push({ key, reason: `value longer than ${ENV_LIMITS.maxValueBytes} bytes` });
    } else if (env.length >= ENV_LIMITS.maxVariables) {
      skipped.push({ key, reason: `more than ${ENV_LIMITS.maxVariables} variables` });
    } else {
      taken.set(name, key);
      env.push(`${name}=${value}`);
    }
  }
  return { env, skipped };
}
