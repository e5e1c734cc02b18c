/**
 * Keystone v3 `POST /v3/auth/tokens` bodies and answers, as pure functions.
 */
import { BridgeError } from '../errors/bridge-error.js';
import type { KeystoneMethod, KeystoneScope, KeystoneUser } from './credentials.js';
import { parseServiceCatalog, type ServiceCatalog } from './service-catalog.js';

/** `…/v3/auth/tokens` for an auth URL given with or without the version. */
export function tokensUrl(authUrl: string): string {
  let u: URL;
  try {
    u = new URL(authUrl);
  } catch {
    throw new BridgeError('ERR_CONFIG_INVALID', `not a valid Keystone URL: ${JSON.stringify(authUrl)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new BridgeError('ERR_CONFIG_INVALID', `Keystone URL must be http(s): ${authUrl}`);
  u.search = '';
  u.hash = '';
  const base = u.toString().replace(/\/+$/, '');
  if (/\/v2\.0$/.test(base)) throw new BridgeError('ERR_CONFIG_INVALID', `Keystone v2.0 (${authUrl}) is not supported; use the /v3 URL`);
  return /\/v3$/.test(base) ? `${base}/auth/tokens` : `${base}/v3/auth/tokens`;
}

function domainRef(id: string | undefined, name: string | undefined): Record<string, string> | undefined {
  if (id !== undefined) return { id };
  if (name !== undefined) return { name };
  return undefined;
}

function userRef(u: KeystoneUser): Record<string, unknown> {
  if (u.id !== undefined) return { id: u.id };
  const domain = domainRef(u.domainId, u.domainName);
  return { name: u.name, ...(domain ? { domain } : {}) };
}

function scopeRef(scope: KeystoneScope): Record<string, unknown> | undefined {
  if (scope.kind === 'unscoped') return undefined;
  if (scope.kind === 'domain') return { domain: domainRef(scope.id, scope.name) };
  if (scope.id !== undefined) return { project: { id: scope.id } };
  const domain = domainRef(scope.domainId, scope.domainName);
  return { project: { name: scope.name, ...(domain ? { domain } : {}) } };
}

/** The JSON body asking for a (scoped) token. */
export function authRequestBody(method: KeystoneMethod, scope: KeystoneScope): Record<string, unknown> {
  const identity =
    method.kind === 'password'
      ? { methods: ['password'], password: { user: { ...userRef(method.user), password: method.password } } }
      : { methods: ['token'], token: { id: method.token } };
  const s = scopeRef(scope);
  return { auth: { identity, ...(s ? { scope: s } : {}) } };
}

/** A token Keystone issued. */
export interface IssuedToken {
  readonly token: string;
  /** When it stops working (ms since epoch); null if Keystone did not say. */
  readonly expiresAt: number | null;
  readonly catalog: ServiceCatalog;
  readonly projectId: string | null;
}

/** Reads Keystone's answer: the token is in the X-Subject-Token header, the rest in the body. */
export function parseIssuedToken(headers: Readonly<Record<string, string>>, body: unknown): IssuedToken {
  const token = headers['x-subject-token'];
  if (token === undefined || token === '') throw new BridgeError('ERR_GLANCE', 'Keystone issued no token (X-Subject-Token header missing)');
  const t = typeof body === 'object' && body !== null ? (body as { token?: unknown }).token : undefined;
  const tok = typeof t === 'object' && t !== null ? (t as Record<string, unknown>) : {};
  const expires = typeof tok.expires_at === 'string' ? Date.parse(tok.expires_at) : NaN;
  const project = tok.project;
  const projectId = typeof project === 'object' && project !== null && typeof (project as { id?: unknown }).id === 'string' ? (project as { id: string }).id : null;
  return { token, expiresAt: Number.isFinite(expires) ? expires : null, catalog: parseServiceCatalog(tok.catalog), projectId };
}
