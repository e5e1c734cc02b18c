/**
 * Nova's network_info → the interfaces a container gets with
 * `[compute] network_mode = neutron`: one veth pair per Neutron port, the
 * host end named as Neutron's agent expects and joined to the port's bridge,
 * the container end with the port's MAC, fixed IPs, gateway and host routes
 * (configured statically, as nova-docker did: containers have no DHCP client).
 * Pure: every check happens here, before anything is created.
 */
import { isIP } from 'node:net';
import { BridgeError } from '../../errors/bridge-error.js';
import type { InterfacePlan, RoutePlan } from '../../host-network/host-network.js';
import type { Vif } from '../payloads.js';

/** VIF types whose host side is a plain Linux bridge (Neutron's linuxbridge mechanism driver). */
export const PLUGGABLE_VIF_TYPES = ['bridge'] as const;

/** Linux interface names: at most 15 bytes (IFNAMSIZ - 1), no "/", ":" or whitespace. */
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function invalid(field: string, message: string): BridgeError {
  return new BridgeError('ERR_INVALID_ARGUMENT', `${field}: ${message}`, { details: { field } });
}

function ifname(name: string, field: string): string {
  if (!IFNAME.test(name) || name === '.' || name === '..') throw invalid(field, `${JSON.stringify(name)} is not a usable Linux interface name (1–15 letters, digits, "_", "." or "-")`);
  return name;
}

/** Prefix length of `cidr` when it is a network of `ip`'s family. */
function prefixOf(cidr: string | null, ip: string, field: string): number {
  const family = isIP(ip);
  const full = family === 6 ? 128 : 32;
  if (cidr === null) return full;
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  const bits = m ? Number(m[2]) : NaN;
  if (!m || isIP(m[1] as string) !== family || bits > full) throw invalid(field, `cidr ${JSON.stringify(cidr)} is not an IPv${family} network for ${ip}`);
  return bits;
}

export function planInterfaces(vifs: readonly Vif[]): InterfacePlan[] {
  const plans: InterfacePlan[] = [];
  const defaults = new Set<number>();
  const hostDevices = new Set<string>();
  vifs.forEach((vif, n) => {
    const field = `network_info[${n}]`;
    if (vif.id === null) throw invalid(`${field}.id`, 'a Neutron port ID is required');
    if (vif.type === null || !(PLUGGABLE_VIF_TYPES as readonly string[]).includes(vif.type)) {
      throw invalid(
        `${field}.type`,
        `port ${vif.id} is bound with VIF type ${JSON.stringify(vif.type)}; [compute] network_mode = neutron plugs ${PLUGGABLE_VIF_TYPES.map((t) => `"${t}"`).join(', ')} (Neutron's linuxbridge mechanism driver)`,
      );
    }
    const mac = (vif.address ?? '').toLowerCase();
    if (!MAC.test(mac)) throw invalid(`${field}.address`, `port ${vif.id} has no usable MAC address (${JSON.stringify(vif.address)})`);
    if (vif.bridge === null) throw invalid(`${field}.network.bridge`, `port ${vif.id} names no host bridge`);
    const bridge = ifname(vif.bridge, `${field}.network.bridge`);
    const hostDevice = ifname(vif.devname ?? `tap${vif.id.slice(0, 11)}`, `${field}.devname`);
    if (hostDevices.has(hostDevice)) throw invalid(`${field}.devname`, `${hostDevice} is used by two ports`);
    hostDevices.add(hostDevice);
    const addresses: string[] = [];
    const routes: RoutePlan[] = [];
    vif.subnets.forEach((s, k) => {
      const sf = `${field}.network.subnets[${k}]`;
      for (const ip of s.ips) addresses.push(`${ip}/${prefixOf(s.cidr, ip, sf)}`);
      if (s.gateway !== null) {
        const family = isIP(s.gateway);
        // One default route per family: the first port's gateway, as a VM's DHCP would give.
        if (s.ips.length > 0 && !defaults.has(family)) {
          defaults.add(family);
          routes.push({ destination: family === 6 ? '::/0' : '0.0.0.0/0', via: s.gateway });
        }
      }
      for (const r of s.routes) {
        prefixOf(r.cidr, r.gateway, `${sf}.routes`);
        routes.push({ destination: r.cidr, via: r.gateway });
      }
    });
    plans.push({
      portId: vif.id,
      hostDevice,
      hostMac: `fe${mac.slice(2)}`,
      bridge,
      containerDevice: `eth${n}`,
      mac,
      mtu: vif.mtu,
      addresses,
      routes,
    });
  });
  return plans;
}
