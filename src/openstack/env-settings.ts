/**
 * The OS_* environment variables of python-openstackclient and
 * python-glanceclient, as {@link CredentialSettings}.
 */
import type { CredentialSettings } from './credentials.js';

/** Setting ← variables, first one set wins (later names are the older spellings). */
const ENV_NAMES: Readonly<Record<keyof CredentialSettings, readonly string[]>> = {
  auth_type: ['OS_AUTH_TYPE'],
  auth_url: ['OS_AUTH_URL'],
  username: ['OS_USERNAME'],
  user_id: ['OS_USER_ID'],
  password: ['OS_PASSWORD'],
  user_domain_name: ['OS_USER_DOMAIN_NAME'],
  user_domain_id: ['OS_USER_DOMAIN_ID'],
  project_name: ['OS_PROJECT_NAME', 'OS_TENANT_NAME'],
  project_id: ['OS_PROJECT_ID', 'OS_TENANT_ID'],
  project_domain_name: ['OS_PROJECT_DOMAIN_NAME'],
  project_domain_id: ['OS_PROJECT_DOMAIN_ID'],
  domain_name: ['OS_DOMAIN_NAME'],
  domain_id: ['OS_DOMAIN_ID'],
  default_domain: ['OS_DEFAULT_DOMAIN'],
  token: ['OS_TOKEN', 'OS_AUTH_TOKEN'],
  region_name: ['OS_REGION_NAME'],
  interface: ['OS_INTERFACE', 'OS_ENDPOINT_TYPE'],
  image_url: ['OS_IMAGE_URL', 'OS_ENDPOINT'],
};

/** Reads the OS_* variables that are set (and not empty). */
export function settingsFromEnv(env: Readonly<Record<string, string | undefined>>): CredentialSettings {
  const out: CredentialSettings = {};
  for (const [key, names] of Object.entries(ENV_NAMES) as [keyof CredentialSettings, readonly string[]][]) {
    for (const name of names) {
      const v = env[name];
      if (v !== undefined && v !== '') {
        out[key] = v;
        break;
      }
    }
  }
  return out;
}
