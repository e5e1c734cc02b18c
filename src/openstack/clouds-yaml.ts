/**
 * clouds.yaml (openstacksdk's configuration file): finding it, and reading one
 * named cloud into {@link CredentialSettings}.
 *
 * Search order as openstacksdk: $OS_CLIENT_CONFIG_FILE, ./clouds.yaml,
 * ~/.config/openstack/clouds.yaml, /etc/openstack/clouds.yaml. Passwords may
 * live in secure.yaml next to it (merged over the cloud's entry).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { BridgeError } from '../errors/bridge-error.js';
import type { CredentialSettings } from './credentials.js';

/**
 * The yaml package, loaded on first use: it adds ~9 MB to every process that
 * imports this module (glance-docker, the compute service), and only a
 * clouds.yaml user needs it. Synchronous (require), like the rest of the lookup.
 */
function yamlParse(text: string): unknown {
  const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return parse(text);
}

/** Where clouds.yaml is looked for, in order. */
export function cloudsYamlCandidates(env: Readonly<Record<string, string | undefined>>, cwd: string): string[] {
  const out: string[] = [];
  if (env.OS_CLIENT_CONFIG_FILE) out.push(env.OS_CLIENT_CONFIG_FILE);
  out.push(join(cwd, 'clouds.yaml'), join(env.HOME ?? homedir(), '.config', 'openstack', 'clouds.yaml'), '/etc/openstack/clouds.yaml');
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isRecord(b) && isRecord(v) ? deepMerge(b, v) : v;
  }
  return out;
}

/** The YAML text parsed, or a clear error naming the file. */
function parseYaml(text: string, file: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = yamlParse(text);
  } catch (err) {
    throw new BridgeError('ERR_CONFIG_INVALID', `${file}: not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  if (doc === null || doc === undefined) return {};
  if (!isRecord(doc)) throw new BridgeError('ERR_CONFIG_INVALID', `${file}: expected a mapping at the top level`);
  return doc;
}

const AUTH_KEYS: readonly (keyof CredentialSettings)[] = [
  'auth_url',
  'username',
  'user_id',
  'password',
  'user_domain_name',
  'user_domain_id',
  'project_name',
  'project_id',
  'project_domain_name',
  'project_domain_id',
  'domain_name',
  'domain_id',
  'default_domain',
  'token',
];

/**
 * One cloud of a clouds.yaml text (with an optional secure.yaml text merged
 * over it) as settings. `tenant_name`/`tenant_id` are accepted as old names.
 */
export function cloudSettings(cloudsText: string, cloud: string, file: string, secureText?: string): CredentialSettings {
  const doc = parseYaml(cloudsText, file);
  const clouds = doc.clouds;
  if (!isRecord(clouds)) throw new BridgeError('ERR_CONFIG_INVALID', `${file}: no "clouds:" mapping`);
  let entry = clouds[cloud];
  if (!isRecord(entry)) {
    throw new BridgeError('ERR_CONFIG_INVALID', `${file}: no cloud named ${JSON.stringify(cloud)} (it has: ${Object.keys(clouds).join(', ') || 'none'})`);
  }
  if (secureText !== undefined) {
    const secure = parseYaml(secureText, join(dirname(file), 'secure.yaml'));
    const sc = isRecord(secure.clouds) ? secure.clouds[cloud] : undefined;
    if (isRecord(sc)) entry = deepMerge(entry, sc);
  }
  const e = entry as Record<string, unknown>;
  const auth = isRecord(e.auth) ? e.auth : {};
  const out: CredentialSettings = {};
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
  for (const key of AUTH_KEYS) {
    const v = str(auth[key]);
    if (v !== undefined) out[key] = v;
  }
  if (out.project_name === undefined && str(auth.tenant_name) !== undefined) out.project_name = str(auth.tenant_name) as string;
  if (out.project_id === undefined && str(auth.tenant_id) !== undefined) out.project_id = str(auth.tenant_id) as string;
  if (str(auth.endpoint) !== undefined) out.image_url = str(auth.endpoint) as string; // auth_type none
  const authType = str(e.auth_type);
  if (authType !== undefined) out.auth_type = authType;
  // openstacksdk: `regions:` entries are names or {name: …, values: …} mappings; the first is the default.
  const firstRegion: unknown = Array.isArray(e.regions) ? e.regions[0] : undefined;
  const region = str(e.region_name) ?? str(firstRegion) ?? (isRecord(firstRegion) ? str(firstRegion.name) : undefined);
  if (region !== undefined) out.region_name = region;
  // The image-specific key wins, as in openstacksdk; endpoint_type is the old name of interface.
  const iface = str(e.image_interface) ?? str(e.interface) ?? str(e.endpoint_type);
  if (iface !== undefined) out.interface = iface;
  const override = str(e.image_endpoint_override);
  if (override !== undefined) out.image_url = override;
  return out;
}

/** Finds clouds.yaml and reads the named cloud from it. */
export function loadCloudSettings(cloud: string, env: Readonly<Record<string, string | undefined>>, cwd: string): { settings: CredentialSettings; file: string } {
  const candidates = cloudsYamlCandidates(env, cwd);
  const file = candidates.find((f) => existsSync(f));
  if (file === undefined) {
    throw new BridgeError('ERR_CONFIG_INVALID', `cloud ${JSON.stringify(cloud)} requested but no clouds.yaml found (looked in: ${candidates.join(', ')})`);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BridgeError('ERR_CONFIG_INVALID', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  // openstacksdk's secure.yaml search (OS_CLIENT_SECURE_FILE first), after the one beside clouds.yaml.
  const secureCandidates = [
    ...(env.OS_CLIENT_SECURE_FILE ? [env.OS_CLIENT_SECURE_FILE] : []),
    join(dirname(file), 'secure.yaml'),
    join(cwd, 'secure.yaml'),
    join(env.HOME ?? homedir(), '.config', 'openstack', 'secure.yaml'),
    '/etc/openstack/secure.yaml',
  ];
  const securePath = secureCandidates.find((f) => existsSync(f));
  const secure = securePath === undefined ? undefined : readFileSync(securePath, 'utf8');
  return { settings: cloudSettings(text, cloud, file, secure), file };
}
