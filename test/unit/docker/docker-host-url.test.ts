import { describe, expect, it } from 'vitest';
import { parseDockerHostUrl, type DockerEndpoint } from '../../../src/docker/docker-host-url.js';
import { dockerodeOptions } from '../../../src/docker/dockerode-engine.js';

describe('parseDockerHostUrl', () => {
  const ok: Array<[string, boolean, DockerEndpoint]> = [
    ['unix:///var/run/docker.sock', false, { kind: 'unix', socketPath: '/var/run/docker.sock' }],
    ['  unix:///run/user/1000/docker.sock ', false, { kind: 'unix', socketPath: '/run/user/1000/docker.sock' }],
    ['tcp://10.0.0.5:2376', true, { kind: 'tcp', host: '10.0.0.5', port: 2376, tls: true }],
    ['tcp://10.0.0.5:2375', false, { kind: 'tcp', host: '10.0.0.5', port: 2375, tls: false }],
    ['tcp://docker.example', true, { kind: 'tcp', host: 'docker.example', port: 2376, tls: true }],
    ['tcp://docker.example', false, { kind: 'tcp', host: 'docker.example', port: 2375, tls: false }],
    ['https://docker.example', false, { kind: 'tcp', host: 'docker.example', port: 2376, tls: true }],
    ['http://docker.example:8080/', false, { kind: 'tcp', host: 'docker.example', port: 8080, tls: false }],
    ['tcp://[fd00::5]:2376', true, { kind: 'tcp', host: 'fd00::5', port: 2376, tls: true }],
  ];
  it.each(ok)('%s (tls files: %s)', (url, tls, expected) => {
    expect(parseDockerHostUrl(url, tls)).toEqual(expected);
  });

  const bad: Array<[string, RegExp]> = [
    ['/var/run/docker.sock', /expected unix:\/\/\//],
    ['unix://relative.sock', /must be absolute/],
    ['ssh://user@host', /unsupported scheme "ssh"/],
    ['tcp://', /without a path/],
    ['tcp://host:2376/path', /without a path/],
    ['tcp://host:99999', /port must be 1\.\.65535/],
    ['tcp://host:abc', /cannot parse host and port/],
  ];
  it.each(bad)('refuses %s', (url, message) => {
    expect(() => parseDockerHostUrl(url)).toThrow(message);
  });
});

describe('dockerodeOptions', () => {
  it('a Unix socket needs only its path', () => {
    expect(dockerodeOptions({ kind: 'unix', socketPath: '/s' }, {})).toEqual({ socketPath: '/s' });
  });
  it('TLS passes the PEMs; plain TCP never does', () => {
    const pem = { ca: Buffer.from('ca'), cert: Buffer.from('cert'), key: Buffer.from('key') };
    expect(dockerodeOptions({ kind: 'tcp', host: 'h', port: 2376, tls: true }, pem)).toEqual({ host: 'h', port: 2376, protocol: 'https', ...pem });
    expect(dockerodeOptions({ kind: 'tcp', host: 'h', port: 2375, tls: false }, pem)).toEqual({ host: 'h', port: 2375, protocol: 'http' });
  });
});
