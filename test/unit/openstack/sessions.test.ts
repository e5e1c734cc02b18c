/**
 * KeystoneSession, GlanceClient's token handling and GlanceAccess with an
 * in-memory HttpClient (pure unit tests: the wire is tested against the real
 * glance-api in test/integration/glance/).
 */
import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/errors/bridge-error.js';
import { GlanceAccess, serviceCredentialsFromConfig } from '../../../src/images/glance-access.js';
import { GlanceClient } from '../../../src/openstack/glance-client.js';
import type { HttpClient, HttpRequest, HttpResponse } from '../../../src/openstack/http-client.js';
import { KeystoneSession } from '../../../src/openstack/keystone-session.js';

type Handler = (req: HttpRequest) => HttpResponse | BridgeError;

class FakeHttp implements HttpClient {
  readonly seen: HttpRequest[] = [];
  constructor(private readonly handler: Handler) {}
  async request(req: HttpRequest): Promise<HttpResponse> {
    this.seen.push(req);
    const r = this.handler(req);
    if (r instanceof BridgeError) throw r;
    return r;
  }
}

const ok = (json: unknown, headers: Record<string, string> = {}): HttpResponse => ({ status: 200, headers, json, stream: null });
const CATALOG = [{ type: 'image', endpoints: [{ interface: 'internal', region_id: 'R1', url: 'http://glance-internal:9292' }, { interface: 'public', region_id: 'R1', url: 'http://glance-public:9292' }] }];
let issued = 0;
const keystone: Handler = (req) => {
  if (req.url.endsWith('/v3/auth/tokens')) {
    issued++;
    return ok({ token: { expires_at: new Date(Date.now() + 3600_000).toISOString(), catalog: CATALOG } }, { 'x-subject-token': `tok-${issued}` });
  }
  return new BridgeError('ERR_INTERNAL', `unexpected ${req.url}`);
};
const IMAGE = { id: 'img', status: 'active', name: 'n' };

describe('KeystoneSession', () => {
  it('authenticates once, shares the request between concurrent callers, renews after invalidate', async () => {
    const http = new FakeHttp(keystone);
    const s = new KeystoneSession({ http, authUrl: 'http://k:5000', method: { kind: 'password', user: { name: 'u', domainName: 'Default' }, password: 'p' }, scope: { kind: 'project', name: 'p', domainName: 'Default' }, stallTimeoutMs: 1000 });
    const [a, b] = await Promise.all([s.token(), s.token()]);
    expect(a).toBe(b);
    expect(http.seen).toHaveLength(1);
    expect(http.seen[0]?.url).toBe('http://k:5000/v3/auth/tokens');
    expect(await s.token()).toBe(a);
    expect(s.invalidate(a)).toBe(true);
    const renewed = await s.token();
    expect(renewed).not.toBe(a);
    expect(http.seen).toHaveLength(2);
    // A second 401 for the old token, arriving after the renewal, keeps the new one.
    expect(s.invalidate(a)).toBe(true);
    expect(await s.token()).toBe(renewed);
    expect(http.seen).toHaveLength(2);
  });

  it('one caller cancelling does not fail the others waiting for the same login', async () => {
    let release: (() => void) | null = null;
    const gate = new Promise<void>((r) => (release = r));
    const http: HttpClient = {
      async request(req) {
        await new Promise<void>((resolve, reject) => {
          req.signal?.addEventListener('abort', () => reject(new BridgeError('ERR_ABORTED', 'login cancelled')));
          void gate.then(resolve);
        });
        return ok({ token: { expires_at: new Date(Date.now() + 3600_000).toISOString(), catalog: CATALOG } }, { 'x-subject-token': 'shared' });
      },
    };
    const s = new KeystoneSession({ http, authUrl: 'http://k/v3', method: { kind: 'token', token: 'x' }, scope: { kind: 'unscoped' }, stallTimeoutMs: 1000 });
    const ac = new AbortController();
    const a = s.token(ac.signal).catch((e: unknown) => e);
    const b = s.token();
    ac.abort();
    expect(await a).toMatchObject({ code: 'ERR_ABORTED' });
    (release as unknown as () => void)();
    expect(await b).toBe('shared');
  });

  it('renews a token that is about to expire', async () => {
    let n = 0;
    const http = new FakeHttp(() => ok({ token: { expires_at: new Date(Date.now() + 60_000).toISOString() } }, { 'x-subject-token': `t${++n}` }));
    const s = new KeystoneSession({ http, authUrl: 'http://k/v3', method: { kind: 'token', token: 'x' }, scope: { kind: 'unscoped' }, stallTimeoutMs: 1000 });
    expect(await s.token()).toBe('t1');
    expect(await s.token()).toBe('t2'); // expires within the 5-minute renewal margin
    expect(s.invalidate('t2')).toBe(false); // a user token cannot be renewed by asking with itself
  });

  it('explains a refused password', async () => {
    const http = new FakeHttp(() => new BridgeError('ERR_UNAUTHORIZED', 'authenticate: Keystone answered 401', { details: { http_status: 401 } }));
    const s = new KeystoneSession({ http, authUrl: 'http://k/v3', method: { kind: 'password', user: { id: 'u' }, password: 'bad' }, scope: { kind: 'unscoped' }, stallTimeoutMs: 1000 });
    await expect(s.token()).rejects.toThrow(/check the user, password\/token, domain and project/);
  });
});

describe('GlanceClient tokens', () => {
  it('sends X-Auth-Token and retries once with a fresh token after a 401', async () => {
    let calls = 0;
    const http = new FakeHttp((req) => {
      if (req.url.endsWith('/v3/auth/tokens')) return keystone(req);
      calls++;
      if (calls === 1) return new BridgeError('ERR_UNAUTHORIZED', 'expired', { details: { http_status: 401 } });
      return ok(IMAGE);
    });
    const session = new KeystoneSession({ http, authUrl: 'http://k/v3', method: { kind: 'password', user: { id: 'u' }, password: 'p' }, scope: { kind: 'project', id: 'p' }, stallTimeoutMs: 1000 });
    const g = new GlanceClient({ http, endpoint: 'http://g:9292/v2/', tokens: session, stallTimeoutMs: 1000 });
    expect((await g.getImage('img')).id).toBe('img');
    const glanceCalls = http.seen.filter((r) => r.service === 'glance');
    expect(glanceCalls.map((r) => r.url)).toEqual(['http://g:9292/v2/images/img', 'http://g:9292/v2/images/img']);
    expect(glanceCalls[0]?.headers?.['X-Auth-Token']).not.toBe(glanceCalls[1]?.headers?.['X-Auth-Token']);
    expect(glanceCalls[0]?.notFoundCode).toBe('ERR_IMAGE_NOT_FOUND');
  });

  it('parallel requests refused with the same expired token share one renewal', async () => {
    let expired: string | null = null;
    const http = new FakeHttp((req) => {
      if (req.url.endsWith('/v3/auth/tokens')) return keystone(req);
      const sent = req.headers?.['X-Auth-Token'] ?? null;
      expired ??= sent;
      return sent === expired ? new BridgeError('ERR_UNAUTHORIZED', 'expired', { details: { http_status: 401 } }) : ok(IMAGE);
    });
    const session = new KeystoneSession({ http, authUrl: 'http://k/v3', method: { kind: 'password', user: { id: 'u' }, password: 'p' }, scope: { kind: 'project', id: 'p' }, stallTimeoutMs: 1000 });
    const g = new GlanceClient({ http, endpoint: 'http://g:9292', tokens: session, stallTimeoutMs: 1000 });
    await session.token();
    const images = await Promise.all([g.getImage('img'), g.getImage('img'), g.getImage('img')]);
    expect(images.map((i) => i.id)).toEqual(['img', 'img', 'img']);
    expect(http.seen.filter((r) => r.service !== 'glance')).toHaveLength(2); // the first login and one renewal
  });

  it('follows next links and adds eq: to the name filter', async () => {
    const http = new FakeHttp((req) => {
      if (req.url === 'http://g/v2/images') return ok({ images: [IMAGE], next: '/v2/images?marker=img&limit=1' });
      return ok({ images: [{ ...IMAGE, id: 'img2' }] });
    });
    const g = new GlanceClient({ http, endpoint: 'http://g', tokens: { token: async () => null, invalidate: () => false }, stallTimeoutMs: 1000 });
    const ids: string[] = [];
    for await (const i of g.listImages({ name: 'a/b:1', pageSize: 1, tags: ['x'] })) ids.push(i.id);
    expect(ids).toEqual(['img', 'img2']);
    expect(http.seen[0]?.query).toEqual({ name: 'eq:a/b:1', limit: '1', tag: ['x'] });
    expect(http.seen[1]?.url).toBe('http://g/v2/images?marker=img&limit=1');
    expect(http.seen[0]?.headers).toEqual({});
  });

  it('refuses a page loop and strange links', async () => {
    const loop = new FakeHttp(() => ok({ images: [IMAGE], next: '/v2/images?marker=img' }));
    const g = new GlanceClient({ http: loop, endpoint: 'http://g', tokens: { token: async () => null, invalidate: () => false }, stallTimeoutMs: 1000 });
    await expect((async () => { for await (const _ of g.listImages()) void _; })()).rejects.toThrow(/same "next" link twice/);
    const odd = new FakeHttp(() => ok({ images: [IMAGE], next: 'http://evil/v2/images' }));
    const g2 = new GlanceClient({ http: odd, endpoint: 'http://g', tokens: { token: async () => null, invalidate: () => false }, stallTimeoutMs: 1000 });
    await expect((async () => { for await (const _ of g2.listImages()) void _; })()).rejects.toThrow(/unexpected link/);
    await expect(g2.getImage('../etc')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});

describe('GlanceAccess', () => {
  const service = { authUrl: 'http://k/v3', username: 'nova', password: 'p', projectName: 'service', userDomainName: 'Default', projectDomainName: 'Default' };

  it('api_servers in turn; the request token wins over the service user', async () => {
    const http = new FakeHttp(keystone);
    const a = new GlanceAccess({ http, apiServers: ['http://g1:9292', 'http://g2:9292'], interfaces: ['internal'], regionName: null, stallTimeoutMs: 1000, service });
    expect((await a.client({ authToken: 'user-token' })).endpoint).toBe('http://g1:9292');
    expect((await a.client({})).endpoint).toBe('http://g2:9292');
    expect(http.seen).toHaveLength(0);
  });

  it('the request catalog, then the service user\'s catalog', async () => {
    const http = new FakeHttp(keystone);
    const a = new GlanceAccess({ http, apiServers: [], interfaces: ['internal', 'public'], regionName: 'R1', stallTimeoutMs: 1000, service });
    const fromReq = await a.client({ authToken: 't', serviceCatalog: [{ type: 'image', endpoints: [{ interface: 'public', region: 'R1', url: 'http://from-request:9292' }] }] });
    expect(fromReq.endpoint).toBe('http://from-request:9292');
    expect(http.seen).toHaveLength(0);
    expect((await a.client({ authToken: null })).endpoint).toBe('http://glance-internal:9292');
  });

  it('a request catalog without a matching image endpoint falls back to the service user\'s', async () => {
    const http = new FakeHttp(keystone);
    const a = new GlanceAccess({ http, apiServers: [], interfaces: ['internal'], regionName: 'R1', stallTimeoutMs: 1000, service });
    const other = await a.client({ authToken: 't', serviceCatalog: [{ type: 'image', endpoints: [{ region: 'R9', internalURL: 'http://elsewhere:9292' }] }] });
    expect(other.endpoint).toBe('http://glance-internal:9292');
    const noService = new GlanceAccess({ http, apiServers: [], interfaces: ['internal'], regionName: 'R1', stallTimeoutMs: 1000, service: null });
    await expect(noService.client({ serviceCatalog: [{ type: 'image', endpoints: [{ region: 'R9', internalURL: 'http://elsewhere:9292' }] }] })).rejects.toThrow(/no internal endpoint .* in region R1; it has: internal@R9/);
  });

  it('says what is missing without any way to find Glance', async () => {
    const a = new GlanceAccess({ http: new FakeHttp(keystone), apiServers: [], interfaces: ['public'], regionName: null, stallTimeoutMs: 1000, service: null });
    await expect(a.client({})).rejects.toThrow(/api_servers is empty.*\[keystone_authtoken\]/);
  });

  it('reads [keystone_authtoken]', () => {
    const base = { auth_url: null, username: null, password: null, project_name: null, user_domain_name: 'Default', project_domain_name: 'Default' };
    expect(serviceCredentialsFromConfig(base)).toBeNull();
    expect(() => serviceCredentialsFromConfig({ ...base, auth_url: 'http://k', username: 'nova' })).toThrow(/password, project_name are not/);
    expect(serviceCredentialsFromConfig({ ...base, auth_url: 'http://k', username: 'n', password: 'p', project_name: 's' })).toEqual({ ...service, authUrl: 'http://k', username: 'n', projectName: 's' });
  });
});
