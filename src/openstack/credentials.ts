/**
 * How a client reaches the image service, in the forms OpenStack users give
 * credentials: a Keystone password or token (then the catalog names the image
 * endpoint), an explicit token plus image URL, or just an image URL for a
 * noauth Glance. The raw settings come from OS_* variables, clouds.yaml, CLI
 * flags or the service configuration; {@link credentialsFromSettings} turns
 * them into one of these or says exactly what is missing.
 */
import { BridgeError } from '../errors/bridge-error.js';
import type { EndpointInterface } from './service-catalog.js';

/** A Keystone identity: name + domain, or id. */
export interface KeystoneUser {
  readonly id?: string;
  readonly name?: string;
  readonly domainId?: string;
  readonly domainName?: string;
}

/** The project (or domain) a token is scoped to; a catalog needs a scope. */
export type KeystoneScope =
  | { readonly kind: 'project'; readonly id?: string; readonly name?: string; readonly domainId?: string; readonly domainName?: string }
  | { readonly kind: 'domain'; readonly id?: string; readonly name?: string }
  | { readonly kind: 'unscoped' };

export type KeystoneMethod = { readonly kind: 'password'; readonly user: KeystoneUser; readonly password: string } | { readonly kind: 'token'; readonly token: string };

export type ImageServiceCredentials =
  /** A Glance without authentication (noauth pipeline): only the URL. */
  | { readonly kind: 'none'; readonly imageUrl: string }
  /** A token the caller already has, and where Glance is. */
  | { readonly kind: 'token'; readonly token: string; readonly imageUrl: string }
  | {
      readonly kind: 'keystone';
      /** Keystone's URL, with or without /v3. */
      readonly authUrl: string;
      readonly method: KeystoneMethod;
      readonly scope: KeystoneScope;
      readonly interfaces: readonly EndpointInterface[];
      readonly regionName: string | null;
      /** Skips the catalog lookup (`--os-image-url`, `image_endpoint_override`). */
      readonly imageUrl: string | null;
    };

/**
 * Settings in openstacksdk's vocabulary (clouds.yaml `auth:` keys plus
 * region_name/interface/auth_type); every source is first turned into this.
 */
export interface CredentialSettings {
  auth_type?: string;
  auth_url?: string;
  username?: string;
  user_id?: string;
  password?: string;
  user_domain_name?: string;
  user_domain_id?: string;
  project_name?: string;
  project_id?: string;
  project_domain_name?: string;
  project_domain_id?: string;
  domain_name?: string;
  domain_id?: string;
  /** openstacksdk's default for user/project domain ids (OS_DEFAULT_DOMAIN). */
  default_domain?: string;
  token?: string;
  region_name?: string;
  interface?: string;
  /** Explicit image endpoint (OS_IMAGE_URL, --os-image-url, image_endpoint_override). */
  image_url?: string;
}

const INTERFACES: readonly EndpointInterface[] = ['public', 'internal', 'admin'];

/** "publicURL" (old OS_ENDPOINT_TYPE) → "public". */
export function parseInterface(raw: string): EndpointInterface {
  const t = raw.trim().toLowerCase().replace(/url$/, '');
  if ((INTERFACES as readonly string[]).includes(t)) return t as EndpointInterface;
  throw new BridgeError('ERR_CONFIG_INVALID', `interface must be public, internal or admin, got ${JSON.stringify(raw)}`);
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** Decides how to authenticate from merged settings; the source name goes into errors ("OS_* variables", "clouds.yaml cloud x"). */
export function credentialsFromSettings(s: CredentialSettings, source: string): ImageServiceCredentials {
  const authType = (nonEmpty(s.auth_type) ?? '').toLowerCase();
  const imageUrl = nonEmpty(s.image_url) ?? null;
  const authUrl = nonEmpty(s.auth_url);
  const token = nonEmpty(s.token);
  const password = s.password !== undefined && s.password !== '' ? s.password : undefined;

  if (authType === 'none' || authType === 'noauth') {
    if (imageUrl === null) throw new BridgeError('ERR_CONFIG_INVALID', `${source}: auth type "none" needs the image URL (--os-image-url or OS_IMAGE_URL)`);
    return { kind: 'none', imageUrl };
  }
  if (authType !== '' && !['password', 'v3password', 'token', 'v3token', 'admin_token', 'token_endpoint', 'v3oidcpassword'].includes(authType)) {
    throw new BridgeError('ERR_CONFIG_INVALID', `${source}: auth type ${JSON.stringify(s.auth_type)} is not supported (use password, token or none)`);
  }
  if (authType === 'v3oidcpassword') throw new BridgeError('ERR_CONFIG_INVALID', `${source}: auth type v3oidcpassword is not supported (use password, token or none)`);

  // A token and the image URL: talk to Glance directly, Keystone is not needed.
  if (token !== undefined && imageUrl !== null && (authUrl === undefined || authType === 'admin_token' || authType === 'token_endpoint')) {
    return { kind: 'token', token, imageUrl };
  }
  if (authUrl === undefined) {
    if (imageUrl !== null && token === undefined && password === undefined) return { kind: 'none', imageUrl };
    throw new BridgeError(
      'ERR_CONFIG_INVALID',
      `${source}: no Keystone URL: set OS_AUTH_URL (or auth.auth_url in clouds.yaml / --os-auth-url), or give --os-token with --os-image-url, or just --os-image-url for a Glance without authentication`,
    );
  }
  const interfaces: EndpointInterface[] = nonEmpty(s.interface) === undefined ? ['public'] : [parseInterface(s.interface as string)];
  const defaultDomain = nonEmpty(s.default_domain) ?? 'default';

  let method: KeystoneMethod;
  if (password !== undefined && (authType === '' || authType === 'password' || authType === 'v3password')) {
    const userId = nonEmpty(s.user_id);
    const username = nonEmpty(s.username);
    if (userId === undefined && username === undefined) throw new BridgeError('ERR_CONFIG_INVALID', `${source}: a password was given but no user name (OS_USERNAME) or id (OS_USER_ID)`);
    const user: KeystoneUser =
      userId !== undefined
        ? { id: userId }
        : {
            name: username as string,
            ...(nonEmpty(s.user_domain_name) !== undefined
              ? { domainName: nonEmpty(s.user_domain_name) as string }
              : { domainId: nonEmpty(s.user_domain_id) ?? defaultDomain }),
          };
    method = { kind: 'password', user, password };
  } else if (token !== undefined) {
    method = { kind: 'token', token };
  } else {
    throw new BridgeError('ERR_CONFIG_INVALID', `${source}: Keystone URL ${authUrl} given but neither a password (OS_USERNAME/OS_PASSWORD) nor a token (OS_TOKEN)`);
  }

  let scope: KeystoneScope;
  const projectId = nonEmpty(s.project_id);
  const projectName = nonEmpty(s.project_name);
  if (projectId !== undefined) scope = { kind: 'project', id: projectId };
  else if (projectName !== undefined) {
    scope = {
      kind: 'project',
      name: projectName,
      ...(nonEmpty(s.project_domain_name) !== undefined
        ? { domainName: nonEmpty(s.project_domain_name) as string }
        : { domainId: nonEmpty(s.project_domain_id) ?? defaultDomain }),
    };
  } else if (nonEmpty(s.domain_id) !== undefined) scope = { kind: 'domain', id: nonEmpty(s.domain_id) as string };
  else if (nonEmpty(s.domain_name) !== undefined) scope = { kind: 'domain', name: nonEmpty(s.domain_name) as string };
  else if (imageUrl === null) {
    throw new BridgeError('ERR_CONFIG_INVALID', `${source}: no project (OS_PROJECT_NAME or OS_PROJECT_ID): an unscoped token has no service catalog to find Glance in`);
  } else scope = { kind: 'unscoped' };

  return { kind: 'keystone', authUrl, method, scope, interfaces, regionName: nonEmpty(s.region_name) ?? null, imageUrl };
}
