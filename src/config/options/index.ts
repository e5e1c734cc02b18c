import type { ConfigDefs, ResolvedConfig } from '../option-types.js';
import { bridgeSection } from './bridge-options.js';
import { computeSection } from './compute-options.js';
import { defaultSection } from './default-options.js';
import { dockerSection } from './docker-options.js';
import { glanceSection, keystoneAuthtokenSection } from './glance-options.js';
import { rabbitSection } from './rabbit-options.js';

/**
 * Every option the service understands, by INI section. Docs
 * (docs/configuration.md) and etc/nova-docker-bridge.conf.sample are generated
 * from this table: `npm run gen:config`.
 */
export const CONFIG_DEFS = {
  DEFAULT: defaultSection,
  bridge: bridgeSection,
  oslo_messaging_rabbit: rabbitSection,
  docker: dockerSection,
  compute: computeSection,
  glance: glanceSection,
  keystone_authtoken: keystoneAuthtokenSection,
} as const satisfies ConfigDefs;

/** The validated, frozen configuration the service runs with. */
export type BridgeConfig = ResolvedConfig<typeof CONFIG_DEFS>;
