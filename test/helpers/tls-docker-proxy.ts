/**
 * A "remote" Docker Engine for tests: a TLS terminator on 127.0.0.1 that
 * requires a client certificate signed by its own CA and relays to the real
 * local socket. Certificates are made with openssl in a temp directory.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { DOCKER_SOCKET, run } from './services.js';

export interface TlsDockerProxy {
  readonly port: number;
  readonly dir: string;
  /** PEM files of the CA and of a client certificate the proxy accepts. */
  readonly files: { readonly caFile: string; readonly certFile: string; readonly keyFile: string };
  close(): Promise<void>;
}

export async function startTlsDockerProxy(socket = DOCKER_SOCKET): Promise<TlsDockerProxy> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ndb-tls-'));
  const openssl = (args: string[]): Promise<unknown> => run('openssl', args, { cwd: dir });
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=ndb-test-ca']);
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    await run('sh', ['-c', `printf '%s\\n' "${ext}" > ${name}.ext`], { cwd: dir });
    await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`]);
  }
  const server = tls.createServer(
    {
      key: readFileSync(path.join(dir, 'server.key')),
      cert: readFileSync(path.join(dir, 'server.pem')),
      ca: readFileSync(path.join(dir, 'ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (client) => {
      const upstream = net.connect(socket);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    },
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    dir,
    files: { caFile: path.join(dir, 'ca.pem'), certFile: path.join(dir, 'client.pem'), keyFile: path.join(dir, 'client.key') },
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
