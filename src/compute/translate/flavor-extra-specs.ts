/**
 * Flavor extra specs that may widen a container's privileges. They are honoured
 * only when the operator lists the key in `[compute] allowed_flavor_extra_specs`
 * (flavors are admin-defined in Nova, but the operator still opts in per key).
 */
import { BridgeError } from '../../errors/bridge-error.js';
import { parseCapability } from './capabilities.js';

export const EXTRA_SPEC_CAP_ADD = 'docker:cap_add';
export const EXTRA_SPEC_PRIVILEGED = 'docker:privileged';
export const FLAVOR_EXTRA_SPEC_KEYS = [EXTRA_SPEC_CAP_ADD, EXTRA_SPEC_PRIVILEGED] as const;

export interface FlavorPrivileges {
  readonly capAdd: readonly string[];
  readonly privileged: boolean;
}

function bad(key: string, message: string): BridgeError {
  const field = `instance.flavor.extra_specs[${JSON.stringify(key)}]`;
  return new BridgeError('ERR_INVALID_ARGUMENT', `${field} ${message}`, { details: { field } });
}

/** Reads the whitelisted privilege keys of a flavor; everything else is ignored. */
export function flavorPrivileges(extraSpecs: Readonly<Record<string, string>>, allowedKeys: readonly string[]): FlavorPrivileges {
  let capAdd: string[] = [];
  let privileged = false;
  const capRaw = extraSpecs[EXTRA_SPEC_CAP_ADD];
  if (capRaw !== undefined && allowedKeys.includes(EXTRA_SPEC_CAP_ADD)) {
    try {
      capAdd = capRaw.split(',').map((s) => s.trim()).filter((s) => s !== '').map(parseCapability);
    } catch (err) {
      throw bad(EXTRA_SPEC_CAP_ADD, `must be a comma-separated list of capability names: ${(err as Error).message}`);
    }
  }
  const privRaw = extraSpecs[EXTRA_SPEC_PRIVILEGED];
  if (privRaw !== undefined && allowedKeys.includes(EXTRA_SPEC_PRIVILEGED)) {
    const t = privRaw.trim().toLowerCase();
    if (t === 'true' || t === 'yes' || t === '1') privileged = true;
    else if (t === 'false' || t === 'no' || t === '0' || t === '') privileged = false;
    else throw bad(EXTRA_SPEC_PRIVILEGED, `must be true or false, got ${JSON.stringify(privRaw)}`);
  }
  return { capAdd, privileged };
}
