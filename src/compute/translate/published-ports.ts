/**
 * `[compute] published_ports` items in docker -p syntax:
 * `[host_ip:][host_port:]container_port[/tcp|udp|sctp]` (IPv6 host addresses in brackets).
 */
import { isIP } from 'node:net';
import type { PortPublication } from '../../docker/docker-engine.js';

function port(text: string, what: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new Error(`${what} must be a number 1..65535, got ${JSON.stringify(text)}`);
  const n = Number(text);
  if (n < 1 || n > 65535) throw new Error(`${what} must be 1..65535, got ${n}`);
  return n;
}

export function parsePortPublication(spec: string): PortPublication {
  const s = spec.trim();
  let rest = s;
  let protocol: PortPublication['protocol'] = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const p = rest.slice(slash + 1).toLowerCase();
    if (p !== 'tcp' && p !== 'udp' && p !== 'sctp') throw new Error(`protocol must be tcp, udp or sctp, got ${JSON.stringify(p)} in ${JSON.stringify(spec)}`);
    protocol = p;
    rest = rest.slice(0, slash);
  }
  let hostIp: string | null = null;
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  if (v6) {
    hostIp = v6[1] as string;
    rest = v6[2] as string;
  }
  const parts = rest.split(':');
  if (!v6 && parts.length === 3) {
    hostIp = parts.shift() as string;
  }
  if (hostIp !== null && isIP(hostIp) === 0) throw new Error(`host address must be an IP address, got ${JSON.stringify(hostIp)} in ${JSON.stringify(spec)}`);
  if (parts.length > 2 || parts.length === 0) throw new Error(`expected [host_ip:][host_port:]container_port[/proto], got ${JSON.stringify(spec)}`);
  const containerPort = port(parts[parts.length - 1] as string, 'container port');
  const hostPort = parts.length === 2 ? port(parts[0] as string, 'host port') : null;
  return { containerPort, protocol, hostPort, hostIp };
}
