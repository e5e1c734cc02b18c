/**
 * Network settings of a container: the configured mode, plus DNS servers and
 * published ports where the mode can use them. Docker refuses port publishing
 * with "none" and ignores it with "host"; DNS servers only matter on a bridge
 * (with "host" the host's resolv.conf is used, with "none" there is no network).
 */
import type { PortPublication } from '../../docker/docker-engine.js';

/** `[compute] network_mode`; "neutron" is Docker's "none" plus the instance's plugged ports. */
export type NetworkMode = 'bridge' | 'none' | 'host' | 'neutron';

export interface NetworkSettings {
  /** Docker's network mode. */
  readonly networkMode: 'bridge' | 'none' | 'host';
  readonly dns: readonly string[];
  readonly publishAllPorts: boolean;
  readonly ports: readonly PortPublication[];
  /** Configured settings that do not apply to this mode. */
  readonly ignored: readonly string[];
}

export function networkSettings(mode: NetworkMode, dns: readonly string[], publishAll: boolean, ports: readonly PortPublication[]): NetworkSettings {
  if (mode === 'bridge') return { networkMode: mode, dns: [...dns], publishAllPorts: publishAll, ports: [...ports], ignored: [] };
  const ignored: string[] = [];
  // The plugged ports carry the subnets these DNS servers belong to; Docker writes them into resolv.conf with "none" too.
  if (mode === 'neutron') {
    if (publishAll) ignored.push('publish_all_ports (network_mode neutron)');
    if (ports.length > 0) ignored.push('published_ports (network_mode neutron)');
    return { networkMode: 'none', dns: [...dns], publishAllPorts: false, ports: [], ignored };
  }
  if (dns.length > 0) ignored.push(`DNS servers from network_info (network_mode ${mode})`);
  if (publishAll) ignored.push(`publish_all_ports (network_mode ${mode})`);
  if (ports.length > 0) ignored.push(`published_ports (network_mode ${mode})`);
  return { networkMode: mode, dns: [], publishAllPorts: false, ports: [], ignored };
}
