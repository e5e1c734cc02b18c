/**
 * The Engine a command-line tool talks to, from the docker CLI's environment:
 * `DOCKER_HOST` (default the local socket), `DOCKER_TLS_VERIFY` (any non-empty
 * value but "0": TLS with client certificates) and `DOCKER_CERT_PATH` (where
 * ca.pem, cert.pem and key.pem live; default ~/.docker), as `docker` reads them.
 */
import { join } from 'node:path';
import type { DockerConnectionOptions } from './dockerode-engine.js';

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

export function dockerConnectionFromEnv(env: Readonly<Record<string, string | undefined>>, options: { home: string; apiTimeoutMs: number }): DockerConnectionOptions {
  const host = env.DOCKER_HOST !== undefined && env.DOCKER_HOST.trim() !== '' ? env.DOCKER_HOST.trim() : DEFAULT_DOCKER_HOST;
  const verify = env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0';
  if (!verify || host.startsWith('unix://')) return { hostUrl: host, apiTimeoutMs: options.apiTimeoutMs };
  const dir = env.DOCKER_CERT_PATH !== undefined && env.DOCKER_CERT_PATH !== '' ? env.DOCKER_CERT_PATH : join(options.home, '.docker');
  return { hostUrl: host, caFile: join(dir, 'ca.pem'), certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem'), apiTimeoutMs: options.apiTimeoutMs };
}
