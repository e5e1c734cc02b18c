/**
 * From credentials to a ready {@link GlanceClient}: authenticates with
 * Keystone when needed and finds the image endpoint in the catalog (or uses
 * the one given).
 */
import type { ImageServiceCredentials } from './credentials.js';
import { credentialsFromSettings, type CredentialSettings } from './credentials.js';
import { loadCloudSettings } from './clouds-yaml.js';
import { settingsFromEnv } from './env-settings.js';
import { GlanceClient } from './glance-client.js';
import type { HttpClient } from './http-client.js';
import { KeystoneSession } from './keystone-session.js';
import { findEndpoint } from './service-catalog.js';
import { staticToken } from './token-source.js';

/** Options of {@link openImageService}. */
export interface OpenImageServiceOptions {
  readonly http: HttpClient;
  readonly stallTimeoutMs: number;
  readonly signal?: AbortSignal;
}

/** A Glance client for the credentials; Keystone is asked once here for the catalog when no URL is given. */
export async function openImageService(creds: ImageServiceCredentials, o: OpenImageServiceOptions): Promise<GlanceClient> {
  if (creds.kind === 'none') return new GlanceClient({ http: o.http, endpoint: creds.imageUrl, tokens: staticToken(null), stallTimeoutMs: o.stallTimeoutMs });
  if (creds.kind === 'token') return new GlanceClient({ http: o.http, endpoint: creds.imageUrl, tokens: staticToken(creds.token), stallTimeoutMs: o.stallTimeoutMs });
  const session = new KeystoneSession({ http: o.http, authUrl: creds.authUrl, method: creds.method, scope: creds.scope, stallTimeoutMs: o.stallTimeoutMs });
  let endpoint = creds.imageUrl;
  if (endpoint === null) {
    const catalog = await session.catalog(o.signal);
    endpoint = findEndpoint(catalog, { type: 'image', interfaces: creds.interfaces, region: creds.regionName });
  } else {
    // Authenticate now so bad credentials fail before any data moves.
    await session.issued(o.signal);
  }
  return new GlanceClient({ http: o.http, endpoint, tokens: session, stallTimeoutMs: o.stallTimeoutMs });
}

/** Where the settings of a command-line tool come from. */
export interface CredentialSources {
  /** Values given as flags (--os-auth-url …); they override everything else. */
  readonly flags: CredentialSettings;
  /** --os-cloud; falls back to OS_CLOUD in `env`. */
  readonly cloud?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/**
 * Credentials as python-openstackclient takes them: a named cloud from
 * clouds.yaml (--os-cloud / OS_CLOUD), the OS_* variables over it (openstack
 * uses them as its options' defaults, so `OS_CLOUD=prod OS_REGION_NAME=two`
 * means region two), and flags over both.
 */
export function credentialsFromSources(s: CredentialSources): ImageServiceCredentials {
  const cloud = s.cloud ?? (s.env.OS_CLOUD === '' ? undefined : s.env.OS_CLOUD);
  const defined = Object.fromEntries(Object.entries(s.flags).filter(([, v]) => v !== undefined && v !== '')) as CredentialSettings;
  const env = settingsFromEnv(s.env);
  if (cloud !== undefined) {
    const { settings, file } = loadCloudSettings(cloud, s.env, s.cwd);
    const envNames = Object.keys(env).length > 0 ? ', OS_* variables over it' : '';
    return credentialsFromSettings(overlay(overlay(settings, env), defined), `cloud ${JSON.stringify(cloud)} in ${file}${envNames}`);
  }
  return credentialsFromSettings(overlay(env, defined), 'OS_* environment variables and --os-* flags');
}

/**
 * `upper` over `lower`. A token given above a password replaces the password
 * login (`--os-token` with an openrc sourced means that token, as openstack's
 * token auth type would), and with an image URL it needs no Keystone at all.
 */
function overlay(lower: CredentialSettings, upper: CredentialSettings): CredentialSettings {
  const merged: CredentialSettings = { ...lower, ...upper };
  if (upper.token !== undefined && upper.password === undefined && upper.auth_type === undefined) {
    delete merged.password;
    delete merged.auth_type;
    if (upper.image_url !== undefined && upper.auth_url === undefined) delete merged.auth_url;
  }
  return merged;
}
