import { intOpt, listOpt, optionalStringOpt, stringOpt } from '../option-types.js';
import { parseInterface } from '../../openstack/credentials.js';

function httpUrl(s: string): string {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new Error(`not a URL: ${JSON.stringify(s)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`must be http:// or https://, got ${JSON.stringify(s)}`);
  return s;
}

/**
 * `[glance]`: where images missing on this host are downloaded from at spawn
 * (Nova's option names where Nova has one).
 */
export const glanceSection = {
  help: 'Glance, the source of images missing on this host at spawn. Without api_servers the image endpoint comes from the request\'s service catalog or, failing that, from Keystone with the [keystone_authtoken] credentials.',
  options: {
    api_servers: listOpt({
      help: 'Glance endpoints (http(s)://host:port), used in turn. Empty: take the "image" endpoint from the service catalog.',
      default: [],
      itemText: 'URLs',
      item: httpUrl,
    }),
    valid_interfaces: listOpt({
      help: 'Catalog interfaces to use for the image endpoint, in order of preference.',
      default: ['internal', 'public'],
      itemText: 'public, internal or admin',
      item: (s) => parseInterface(s),
      nonEmpty: true,
    }),
    region_name: optionalStringOpt({ help: 'Region of the image endpoint in the catalog; empty takes the first match.', default: null }),
    stall_timeout: intOpt({
      help: 'Seconds without a byte moving after which an image download (or Glance call) is abandoned. There is no overall deadline: large images take as long as they take.',
      default: 120,
      min: 5,
      max: 3600,
    }),
  },
} as const;

/**
 * `[keystone_authtoken]`: the service's own Keystone user, as in nova.conf.
 * Used to find Glance in the catalog and to download when a request carries
 * no token. Leave auth_url empty for a Glance without authentication.
 */
export const keystoneAuthtokenSection = {
  help: 'The service user (password authentication) for Glance downloads when a request has no token, and for finding Glance in the catalog. Empty auth_url: no service credentials.',
  options: {
    auth_url: optionalStringOpt({ help: 'Keystone URL, e.g. http://controller:5000/v3.', default: null }),
    username: optionalStringOpt({ help: 'Service user name.', default: null }),
    password: optionalStringOpt({ help: 'Service user password.', default: null, secret: true }),
    project_name: optionalStringOpt({ help: 'Project of the service user (usually "service").', default: null }),
    user_domain_name: stringOpt({ help: 'Domain of the service user.', default: 'Default', nonEmpty: true }),
    project_domain_name: stringOpt({ help: 'Domain of the project.', default: 'Default', nonEmpty: true }),
  },
} as const;
