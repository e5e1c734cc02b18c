/**
 * The container's privileges: capabilities and the privileged flag. The inputs
 * are deliberately only operator-controlled: the service configuration and the
 * (admin-defined) flavor's whitelisted extra specs. Image properties and
 * instance metadata are tenant-controlled and are not even parameters here.
 */
import { flavorPrivileges } from './flavor-extra-specs.js';

export interface OperatorPrivilegeConfig {
  readonly capAdd: readonly string[];
  readonly privileged: boolean;
  readonly allowedFlavorExtraSpecs: readonly string[];
}

export interface Privileges {
  readonly capAdd: readonly string[];
  readonly privileged: boolean;
}

export function containerPrivileges(config: OperatorPrivilegeConfig, flavorExtraSpecs: Readonly<Record<string, string>>): Privileges {
  const fromFlavor = flavorPrivileges(flavorExtraSpecs, config.allowedFlavorExtraSpecs);
  const caps = [...new Set([...config.capAdd, ...fromFlavor.capAdd])].sort();
  return { capAdd: caps, privileged: config.privileged || fromFlavor.privileged };
}
