import { describe, expect, it } from 'vitest';
import { authRequestBody, parseIssuedToken, tokensUrl } from '../../../src/openstack/keystone-auth-request.js';
import { findEndpoint, parseServiceCatalog } from '../../../src/openstack/service-catalog.js';
import { propertyPatch } from '../../../src/openstack/json-patch.js';
import { parseGlanceImage } from '../../../src/openstack/glance-image.js';
import { buildUrl } from '../../../src/openstack/axios-http-client.js';
import { normalizeImageEndpoint } from '../../../src/openstack/glance-client.js';

const CATALOG = parseServiceCatalog([
  {
    type: 'identity',
    name: 'keystone',
    endpoints: [{ interface: 'public', region_id: 'RegionOne', url: 'http://127.0.0.1:15000/v3/' }],
  },
  {
    type: 'image',
    name: 'glance',
    endpoints: [
      { interface: 'public', region_id: 'RegionOne', url: 'http://public:9292' },
      { interface: 'internal', region_id: 'RegionOne', url: 'http://internal:9292' },
      { interface: 'public', region: 'RegionTwo', url: 'http://two:9292' },
      { interface: 'public' },
    ],
  },
  'junk',
]);

describe('service catalog', () => {
  it.each([
    [['public'], null, 'http://public:9292'],
    [['internal', 'public'], null, 'http://internal:9292'],
    [['public'], 'RegionTwo', 'http://two:9292'],
    [['admin', 'public'], 'RegionTwo', 'http://two:9292'],
  ] as const)('%j in %s → %s', (interfaces, region, url) => {
    expect(findEndpoint(CATALOG, { type: 'image', interfaces, region })).toBe(url);
  });

  it.each([
    [['internal'], 'RegionOne', 'http://v2-internal:9292'],
    [['public'], 'RegionOne', 'http://v2-public:9292'],
    [['admin'], null, 'http://v2-admin:9292'],
  ] as const)('the v2 shape Nova\'s request context carries: %j in %s → %s', (interfaces, region, url) => {
    // What keystonemiddleware's _v3_to_v2_catalog puts into X-Service-Catalog.
    const v2 = parseServiceCatalog([
      { type: 'image', name: 'glance', endpoints: [{ region: 'RegionOne', publicURL: 'http://v2-public:9292', internalURL: 'http://v2-internal:9292', adminURL: 'http://v2-admin:9292' }] },
    ]);
    expect(findEndpoint(v2, { type: 'image', interfaces, region })).toBe(url);
  });

  it('says what the catalog has', () => {
    expect(() => findEndpoint(CATALOG, { type: 'image', interfaces: ['admin'], region: 'RegionOne' })).toThrow(
      /no admin endpoint of service type "image" in region RegionOne; it has: public@RegionOne, internal@RegionOne, public@RegionTwo/,
    );
    expect(() => findEndpoint(CATALOG, { type: 'volumev3', interfaces: ['public'], region: null })).toThrow(/no "volumev3" service at all/);
  });
});

describe('keystone auth request', () => {
  it.each([
    ['http://k:5000/v3', 'http://k:5000/v3/auth/tokens'],
    ['http://k:5000/v3/', 'http://k:5000/v3/auth/tokens'],
    ['http://k:5000', 'http://k:5000/v3/auth/tokens'],
    ['https://k/identity/', 'https://k/identity/v3/auth/tokens'],
  ])('%s → %s', (a, b) => expect(tokensUrl(a)).toBe(b));

  it('refuses v2.0 and garbage', () => {
    expect(() => tokensUrl('http://k:5000/v2.0')).toThrow(/v2.0/);
    expect(() => tokensUrl('not a url')).toThrow(/not a valid Keystone URL/);
  });

  it('password body with names and project scope (the captured request shape)', () => {
    expect(
      authRequestBody({ kind: 'password', user: { name: 'admin', domainName: 'Default' }, password: 'pw' }, { kind: 'project', name: 'admin', domainName: 'Default' }),
    ).toEqual({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: 'pw' } } },
        scope: { project: { name: 'admin', domain: { name: 'Default' } } },
      },
    });
  });

  it('token body, project id, and unscoped', () => {
    expect(authRequestBody({ kind: 'token', token: 't' }, { kind: 'project', id: 'p1' })).toEqual({
      auth: { identity: { methods: ['token'], token: { id: 't' } }, scope: { project: { id: 'p1' } } },
    });
    expect(authRequestBody({ kind: 'password', user: { id: 'u1' }, password: 'x' }, { kind: 'unscoped' })).toEqual({
      auth: { identity: { methods: ['password'], password: { user: { id: 'u1', password: 'x' } } } },
    });
  });

  it('reads the token from X-Subject-Token and the catalog from the body', () => {
    const t = parseIssuedToken(
      { 'x-subject-token': 'gAAAA' },
      { token: { expires_at: '2026-11-22T04:31:14.000000Z', project: { id: 'p' }, catalog: [{ type: 'image', endpoints: [{ interface: 'public', region_id: 'R', url: 'http://g' }] }] } },
    );
    expect(t.token).toBe('gAAAA');
    expect(t.expiresAt).toBe(Date.parse('2026-11-22T04:31:14Z'));
    expect(t.projectId).toBe('p');
    expect(t.catalog[0]?.endpoints[0]?.url).toBe('http://g');
    expect(() => parseIssuedToken({}, {})).toThrow(/X-Subject-Token/);
  });
});

describe('JSON patch of properties', () => {
  it.each([
    [{}, { a: 'x' }, [{ op: 'add', path: '/a', value: 'x' }]],
    [{ a: 'x' }, { a: 'x' }, []],
    [{ a: 'x' }, { a: 'y' }, [{ op: 'replace', path: '/a', value: 'y' }]],
    [{ a: 'x' }, { a: null }, [{ op: 'remove', path: '/a' }]],
    [{}, { a: null }, []],
    [{}, { 'a/b~c': 'v' }, [{ op: 'add', path: '/a~1b~0c', value: 'v' }]],
  ])('%j + %j', (cur, desired, ops) => {
    expect(propertyPatch(cur, desired)).toEqual(ops);
  });
});

describe('glance image parsing', () => {
  it('splits custom properties from core attributes', () => {
    const img = parseGlanceImage(
      {
        id: 'i',
        name: 'n',
        status: 'active',
        container_format: 'docker',
        disk_format: 'raw',
        size: 10,
        checksum: 'md5',
        os_hash_algo: 'sha512',
        os_hash_value: 'h',
        tags: ['b', 'a'],
        docker_image_id: 'sha256:x',
        self: '/v2/images/i',
        protected: false,
      },
      'x',
    );
    expect(img).toMatchObject({ id: 'i', status: 'active', containerFormat: 'docker', size: 10, checksum: 'md5', osHashValue: 'h', tags: ['a', 'b'] });
    expect(img.properties).toEqual({ docker_image_id: 'sha256:x' });
    expect(() => parseGlanceImage([], 'x')).toThrow(/not an image object/);
    expect(() => parseGlanceImage({ name: 'x' }, 'x')).toThrow(/lacks "id"/);
  });
});

describe('URLs', () => {
  it('appends queries, repeating arrays', () => {
    expect(buildUrl('http://g/v2/images', { name: 'eq:a/b:1', tag: ['x', 'y'], limit: 5 })).toBe('http://g/v2/images?name=eq%3Aa%2Fb%3A1&tag=x&tag=y&limit=5');
    expect(buildUrl('http://g/v2/images?marker=m', { limit: 1 })).toBe('http://g/v2/images?marker=m&limit=1');
  });
  it.each([
    ['http://g:9292', 'http://g:9292'],
    ['http://g:9292/', 'http://g:9292'],
    ['http://g:9292/v2/', 'http://g:9292'],
    ['https://g/image/v2.1', 'https://g/image'],
  ])('endpoint %s → %s', (a, b) => expect(normalizeImageEndpoint(a)).toBe(b));
});
