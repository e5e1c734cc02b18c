/**
 * iproute2 command lines for plugging one interface, as pure functions (the
 * adapter runs them; tests read them).
 *
 * The veth pair is created with its container end directly in the
 * container's namespace (`peer … netns PID`), so there is never a half-plugged
 * device on the host: either both ends exist or neither.
 */
import type { InterfacePlan } from './host-network.js';

/** `ip` arguments that create the bridge (when missing) and bring it up. */
export function bridgeCommands(bridge: string): string[][] {
  return [
    ['link', 'add', 'name', bridge, 'type', 'bridge'],
    ['link', 'set', 'dev', bridge, 'up'],
  ];
}

/** `ip` arguments run on the host, in order. */
export function hostCommands(pid: number, i: InterfacePlan): string[][] {
  const mtu = i.mtu === null ? [] : ['mtu', String(i.mtu)];
  return [
    ['link', 'add', 'name', i.hostDevice, 'address', i.hostMac, ...mtu, 'type', 'veth', 'peer', 'name', i.containerDevice, 'address', i.mac, ...mtu, 'netns', String(pid)],
    ['link', 'set', 'dev', i.hostDevice, 'master', i.bridge, 'up'],
  ];
}

/** `ip -batch` lines run in the container's network namespace. */
export function containerBatch(i: InterfacePlan): string[] {
  const lines: string[] = [];
  // nodad: an IPv6 address is usable at once instead of after duplicate detection (Neutron owns the address).
  for (const a of i.addresses) lines.push(`address add ${a} dev ${i.containerDevice}${a.includes(':') ? ' nodad' : ''}`);
  lines.push(`link set dev ${i.containerDevice} up`);
  for (const r of i.routes) lines.push(`route replace ${r.destination} via ${r.via} dev ${i.containerDevice}`);
  return lines;
}
