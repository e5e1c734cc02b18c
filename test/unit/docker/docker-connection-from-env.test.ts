import { describe, expect, it } from 'vitest';
import { dockerConnectionFromEnv } from '../../../src/docker/docker-connection-from-env.js';

const o = { home: '/home/u', apiTimeoutMs: 60_000 };

describe('dockerConnectionFromEnv (the docker CLI environment)', () => {
  it.each([
    ['nothing set: the local socket', {}, { hostUrl: 'unix:///var/run/docker.sock', apiTimeoutMs: 60_000 }],
    ['empty DOCKER_HOST: the local socket', { DOCKER_HOST: ' ' }, { hostUrl: 'unix:///var/run/docker.sock', apiTimeoutMs: 60_000 }],
    ['another socket', { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }, { hostUrl: 'unix:///run/user/1000/docker.sock', apiTimeoutMs: 60_000 }],
    ['plain TCP without DOCKER_TLS_VERIFY', { DOCKER_HOST: 'tcp://h:2375' }, { hostUrl: 'tcp://h:2375', apiTimeoutMs: 60_000 }],
    ['DOCKER_TLS_VERIFY=0 is off', { DOCKER_HOST: 'tcp://h:2375', DOCKER_TLS_VERIFY: '0' }, { hostUrl: 'tcp://h:2375', apiTimeoutMs: 60_000 }],
    [
      'TLS with the default cert path',
      { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1' },
      { hostUrl: 'tcp://h:2376', caFile: '/home/u/.docker/ca.pem', certFile: '/home/u/.docker/cert.pem', keyFile: '/home/u/.docker/key.pem', apiTimeoutMs: 60_000 },
    ],
    [
      'TLS with DOCKER_CERT_PATH',
      { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: 'yes', DOCKER_CERT_PATH: '/etc/docker/certs' },
      { hostUrl: 'tcp://h:2376', caFile: '/etc/docker/certs/ca.pem', certFile: '/etc/docker/certs/cert.pem', keyFile: '/etc/docker/certs/key.pem', apiTimeoutMs: 60_000 },
    ],
    ['TLS settings do not apply to a socket', { DOCKER_TLS_VERIFY: '1' }, { hostUrl: 'unix:///var/run/docker.sock', apiTimeoutMs: 60_000 }],
  ])('%s', (_name, env, expected) => {
    expect(dockerConnectionFromEnv(env, o)).toEqual(expected);
  });
});
