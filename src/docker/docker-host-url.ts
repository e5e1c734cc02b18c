/**
 * `[docker] host_url`: where the Engine listens. A Unix socket by default; a TCP
 * address (optionally TLS, as nova-docker's `[docker] host_url` + cert options
 * offered) for a remote Engine.
 */

export type DockerEndpoint =
  | { readonly kind: 'unix'; readonly socketPath: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly tls: boolean };

/** Docker's conventional ports: 2376 with TLS, 2375 without. */
const TLS_PORT = 2376;
const PLAIN_PORT = 2375;

/**
 * Parses `unix:///path`, `tcp://host[:port]`, `http://host[:port]` or
 * `https://host[:port]`. `tcp://` uses TLS when `tlsFilesGiven` (certificates
 * configured), as the docker CLI does with --tlsverify. Throws an Error naming
 * the problem.
 */
export function parseDockerHostUrl(raw: string, tlsFilesGiven = false): DockerEndpoint {
  const text = raw.trim();
  const m = /^([a-z]+):\/\/(.*)$/i.exec(text);
  if (!m) throw new Error(`expected unix:///path/to/docker.sock, tcp://host:port or https://host:port, got ${JSON.stringify(raw)}`);
  const scheme = (m[1] as string).toLowerCase();
  const rest = m[2] as string;
  if (scheme === 'unix') {
    if (!rest.startsWith('/')) throw new Error(`unix socket path must be absolute (unix:///var/run/docker.sock), got ${JSON.stringify(raw)}`);
    return { kind: 'unix', socketPath: rest };
  }
  if (scheme !== 'tcp' && scheme !== 'http' && scheme !== 'https') {
    throw new Error(`unsupported scheme "${scheme}": use unix, tcp, http or https`);
  }
  const tls = scheme === 'https' || (scheme === 'tcp' && tlsFilesGiven);
  const hostPort = rest.replace(/\/+$/, '');
  if (hostPort === '' || hostPort.includes('/')) throw new Error(`expected ${scheme}://host[:port] without a path, got ${JSON.stringify(raw)}`);
  const bracketed = /^\[([0-9a-f:.]+)\](?::(\d+))?$/i.exec(hostPort);
  const plain = /^([^:[\]]+)(?::(\d+))?$/.exec(hostPort);
  const hm = bracketed ?? plain;
  if (!hm) throw new Error(`cannot parse host and port in ${JSON.stringify(raw)}`);
  const host = hm[1] as string;
  const port = hm[2] === undefined ? (tls ? TLS_PORT : PLAIN_PORT) : Number(hm[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`port must be 1..65535 in ${JSON.stringify(raw)}`);
  return { kind: 'tcp', host, port, tls };
}
