/**
 * oslo.messaging transport URLs: `rabbit://user:pass@host:port[,user:pass@host2:port2]/vhost`.
 * Several hosts mean failover, tried in order, as oslo does.
 */

/** One broker of a transport URL. */
export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
}

export interface TransportUrl {
  readonly scheme: 'rabbit' | 'amqp';
  readonly brokers: readonly BrokerAddress[];
  /** The AMQP virtual host; oslo's empty path means RabbitMQ's default vhost "/". */
  readonly vhost: string;
  /** Query parameters (e.g. `ssl=1`), kept for the connection layer. */
  readonly query: Readonly<Record<string, string>>;
}

const DEFAULT_PORT = 5672;

/** Parses a transport URL; throws an Error that says what part is wrong. */
export function parseTransportUrl(raw: string): TransportUrl {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/i.exec(raw.trim());
  if (!m) throw new Error(`not a transport URL: expected rabbit://user:pass@host:port/vhost`);
  const scheme = (m[1] ?? '').toLowerCase();
  if (scheme !== 'rabbit' && scheme !== 'amqp') throw new Error(`unsupported transport "${scheme}": only rabbit:// (or amqp://) is supported`);
  const netloc = m[2] ?? '';
  if (netloc === '') throw new Error('no broker host in transport URL');
  const brokers = netloc.split(',').map((part, i) => parseBroker(part, i));
  const path = m[3] ?? '';
  const vhostRaw = decodeComponent(path.replace(/^\//, ''), 'virtual host');
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams((m[4] ?? '').replace(/^\?/, ''))) query[k] = v;
  return Object.freeze({ scheme, brokers: Object.freeze(brokers), vhost: vhostRaw === '' ? '/' : vhostRaw, query: Object.freeze(query) });
}

function parseBroker(part: string, index: number): BrokerAddress {
  if (part === '') throw new Error(`empty broker #${index + 1} in transport URL`);
  const at = part.lastIndexOf('@');
  const creds = at >= 0 ? part.slice(0, at) : '';
  const hostport = at >= 0 ? part.slice(at + 1) : part;
  let username = 'guest';
  let password = 'guest';
  if (at >= 0) {
    const colon = creds.indexOf(':');
    username = decodeComponent(colon >= 0 ? creds.slice(0, colon) : creds, `user name of broker #${index + 1}`);
    password = decodeComponent(colon >= 0 ? creds.slice(colon + 1) : '', `password of broker #${index + 1}`);
  }
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(hostport);
  if (v6) {
    host = v6[1] ?? '';
    portText = v6[2];
  } else {
    const c = hostport.lastIndexOf(':');
    host = c >= 0 ? hostport.slice(0, c) : hostport;
    portText = c >= 0 ? hostport.slice(c + 1) : undefined;
  }
  if (host === '') throw new Error(`broker #${index + 1} has no host`);
  let port = DEFAULT_PORT;
  if (portText !== undefined && portText !== '') {
    if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw new Error(`broker #${index + 1} has an invalid port "${portText}"`);
    }
    port = Number(portText);
  }
  return Object.freeze({ host, port, username, password });
}

// decodeURIComponent's own error is just "URI malformed"; say which part and why.
function decodeComponent(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new Error(`the ${what} in the transport URL has an invalid %-escape; write "%" as %25`);
  }
}

/** The URL with passwords replaced, for logs. */
export function redactTransportUrl(raw: string): string {
  // Greedy up to the broker's last "@", as the parser splits there: an unescaped "@"
  // inside a password must not leave the rest of the password visible.
  return raw.replace(/(\/\/|,)([^:@/,]*):([^/,]*)@/g, '$1$2:***@');
}
