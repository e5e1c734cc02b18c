import { describe, expect, it } from 'vitest';
import { parseTransportUrl, redactTransportUrl } from '../../src/rpc/transport-url.js';

const guest = { username: 'guest', password: 'guest' };

describe('parseTransportUrl', () => {
  it.each([
    {
      name: 'one broker, explicit port, default vhost',
      url: 'rabbit://guest:guest@127.0.0.1:5672/',
      brokers: [{ host: '127.0.0.1', port: 5672, ...guest }],
      vhost: '/',
    },
    {
      name: 'no path at all means vhost "/"',
      url: 'rabbit://u:p@broker',
      brokers: [{ host: 'broker', port: 5672, username: 'u', password: 'p' }],
      vhost: '/',
    },
    {
      name: 'default port when none is given',
      url: 'rabbit://u:p@mq.example.org/',
      brokers: [{ host: 'mq.example.org', port: 5672, username: 'u', password: 'p' }],
      vhost: '/',
    },
    {
      name: 'named vhost',
      url: 'rabbit://u:p@h:5673/nova',
      brokers: [{ host: 'h', port: 5673, username: 'u', password: 'p' }],
      vhost: 'nova',
    },
    {
      name: 'vhost "/" written url-encoded',
      url: 'rabbit://u:p@h/%2F',
      brokers: [{ host: 'h', port: 5672, username: 'u', password: 'p' }],
      vhost: '/',
    },
    {
      name: 'several brokers for failover, in order, each with its own credentials and port',
      url: 'rabbit://a:pa@h1:5672,b:pb@h2,c:pc@h3:5699/openstack',
      brokers: [
        { host: 'h1', port: 5672, username: 'a', password: 'pa' },
        { host: 'h2', port: 5672, username: 'b', password: 'pb' },
        { host: 'h3', port: 5699, username: 'c', password: 'pc' },
      ],
      vhost: 'openstack',
    },
    {
      name: 'url-encoded user name and password',
      url: 'rabbit://nova%40svc:p%40ss%3Aw%2Fo%25rd%23x@h:5672/',
      brokers: [{ host: 'h', port: 5672, username: 'nova@svc', password: 'p@ss:w/o%rd#x' }],
      vhost: '/',
    },
    {
      name: 'no credentials means guest/guest',
      url: 'rabbit://h:5672/',
      brokers: [{ host: 'h', port: 5672, ...guest }],
      vhost: '/',
    },
    {
      name: 'user without password',
      url: 'rabbit://nova@h/',
      brokers: [{ host: 'h', port: 5672, username: 'nova', password: '' }],
      vhost: '/',
    },
    {
      name: 'bracketed IPv6 host with and without port',
      url: 'rabbit://u:p@[::1]:5673,u:p@[fd00::2]/',
      brokers: [
        { host: '::1', port: 5673, username: 'u', password: 'p' },
        { host: 'fd00::2', port: 5672, username: 'u', password: 'p' },
      ],
      vhost: '/',
    },
    {
      name: 'amqp:// scheme and upper-case scheme are accepted',
      url: 'AMQP://u:p@h/',
      brokers: [{ host: 'h', port: 5672, username: 'u', password: 'p' }],
      vhost: '/',
    },
  ])('$name', ({ url, brokers, vhost }) => {
    const parsed = parseTransportUrl(url);
    expect(parsed.brokers).toEqual(brokers);
    expect(parsed.vhost).toBe(vhost);
  });

  it('lower-cases the scheme and keeps query parameters', () => {
    const parsed = parseTransportUrl('Rabbit://u:p@h/?ssl=1&heartbeat=30');
    expect(parsed.scheme).toBe('rabbit');
    expect(parsed.query).toEqual({ ssl: '1', heartbeat: '30' });
  });

  it('returns frozen values', () => {
    const parsed = parseTransportUrl('rabbit://u:p@h1,u:p@h2/');
    expect(Object.isFrozen(parsed)).toBe(true);
    expect(Object.isFrozen(parsed.brokers)).toBe(true);
    expect(Object.isFrozen(parsed.brokers[0])).toBe(true);
  });

  it.each([
    { name: 'non-numeric port', url: 'rabbit://u:p@h:abc/', error: /broker #1 has an invalid port "abc"/ },
    { name: 'port 0', url: 'rabbit://u:p@h:0/', error: /broker #1 has an invalid port "0"/ },
    { name: 'port above 65535', url: 'rabbit://u:p@h1,u:p@h2:65536/', error: /broker #2 has an invalid port "65536"/ },
    { name: 'non-rabbit scheme', url: 'kafka://h:9092/', error: /unsupported transport "kafka": only rabbit:\/\//i },
    { name: 'not a URL', url: 'guest:guest@127.0.0.1:5672', error: /not a transport URL/ },
    { name: 'no host', url: 'rabbit:///', error: /no broker host/ },
    { name: 'empty broker between commas', url: 'rabbit://u:p@h1,,u:p@h3/', error: /empty broker #2/ },
    { name: 'credentials without host', url: 'rabbit://u:p@:5672/', error: /broker #1 has no host/ },
    { name: 'malformed %-escape in the password', url: 'rabbit://u:100%@h/', error: /password of broker #1 .*invalid %-escape/ },
    { name: 'malformed %-escape in the vhost', url: 'rabbit://u:p@h/%zz', error: /virtual host .*invalid %-escape/ },
  ])('rejects $name', ({ url, error }) => {
    expect(() => parseTransportUrl(url)).toThrow(error);
  });
});

describe('redactTransportUrl', () => {
  it.each([
    { url: 'rabbit://guest:guest@127.0.0.1:5672/', shown: 'rabbit://guest:***@127.0.0.1:5672/' },
    { url: 'rabbit://a:pa@h1:5672,b:pb@h2/nova', shown: 'rabbit://a:***@h1:5672,b:***@h2/nova' },
    { url: 'rabbit://u:p%40ss@h/', shown: 'rabbit://u:***@h/' },
    // The parser splits at the last "@", so an unescaped "@" is part of the password.
    { url: 'rabbit://u:p@ss@h:5672/', shown: 'rabbit://u:***@h:5672/' },
    { url: 'rabbit://u:a:b@h/', shown: 'rabbit://u:***@h/' },
    { url: 'rabbit://h1:5672,h2:5673/', shown: 'rabbit://h1:5672,h2:5673/' },
    { url: 'rabbit://nova@h/', shown: 'rabbit://nova@h/' },
  ])('$url → $shown', ({ url, shown }) => {
    expect(redactTransportUrl(url)).toBe(shown);
  });

  it('never leaves a password of a parsed URL in the output', () => {
    for (const url of ['rabbit://u:s3cr3t@h1,v:t0p@h2/x', 'rabbit://u:s3@cr3t@h/']) {
      const redacted = redactTransportUrl(url);
      for (const b of parseTransportUrl(url).brokers) expect(redacted).not.toContain(b.password);
    }
  });
});
