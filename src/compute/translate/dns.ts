/**
 * DNS servers from Nova's network_info: every subnet's `dns` entries, in order,
 * without duplicates (Docker writes them into the container's resolv.conf).
 */
import type { Vif } from '../payloads.js';

/** resolv.conf honours at most 3 nameservers (MAXNS); more would be silently dropped by libc. */
export const MAX_DNS_SERVERS = 3;

export function dnsServers(networkInfo: readonly Vif[]): string[] {
  const out: string[] = [];
  for (const vif of networkInfo) {
    for (const subnet of vif.subnets) {
      for (const addr of subnet.dns) {
        if (!out.includes(addr)) out.push(addr);
      }
    }
  }
  return out.slice(0, MAX_DNS_SERVERS);
}
