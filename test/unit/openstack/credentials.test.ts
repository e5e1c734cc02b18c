import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cloudSettings, loadCloudSettings } from '../../../src/openstack/clouds-yaml.js';
import { credentialsFromSettings, parseInterface } from '../../../src/openstack/credentials.js';
import { settingsFromEnv } from '../../../src/openstack/env-settings.js';
import { credentialsFromSources } from '../../../src/openstack/image-service.js';

describe('credentialsFromSettings', () => {
  it.each([
    ['image URL only → noauth', { image_url: 'http://g:9292' }, { kind: 'none', imageUrl: 'http://g:9292' }],
    ['auth type none', { auth_type: 'none', image_url: 'http://g:9292', auth_url: 'http://k/v3' }, { kind: 'none', imageUrl: 'http://g:9292' }],
    ['token + image URL → direct', { token: 'tok', image_url: 'http://g:9292' }, { kind: 'token', token: 'tok', imageUrl: 'http://g:9292' }],
    [
      'password with names, default domain id',
      { auth_url: 'http://k:5000/v3', username: 'admin', password: 'p#;w', project_name: 'admin' },
      {
        kind: 'keystone',
        authUrl: 'http://k:5000/v3',
        method: { kind: 'password', user: { name: 'admin', domainId: 'default' }, password: 'p#;w' },
        scope: { kind: 'project', name: 'admin', domainId: 'default' },
        interfaces: ['public'],
        regionName: null,
        imageUrl: null,
      },
    ],
    [
      'password with domain names, region, interface',
      {
        auth_url: 'http://k:5000',
        username: 'u',
        password: 'p',
        user_domain_name: 'Default',
        project_name: 'p',
        project_domain_name: 'Dom',
        region_name: 'RegionOne',
        interface: 'internalURL',
      },
      {
        kind: 'keystone',
        authUrl: 'http://k:5000',
        method: { kind: 'password', user: { name: 'u', domainName: 'Default' }, password: 'p' },
        scope: { kind: 'project', name: 'p', domainName: 'Dom' },
        interfaces: ['internal'],
        regionName: 'RegionOne',
        imageUrl: null,
      },
    ],
    [
      'token with Keystone → rescoped token',
      { auth_url: 'http://k/v3', token: 't', project_id: 'abc' },
      { kind: 'keystone', authUrl: 'http://k/v3', method: { kind: 'token', token: 't' }, scope: { kind: 'project', id: 'abc' }, interfaces: ['public'], regionName: null, imageUrl: null },
    ],
  ])('%s', (_name, settings, expected) => {
    expect(credentialsFromSettings(settings, 'test')).toEqual(expected);
  });

  it.each([
    ['nothing', {}, /no Keystone URL/],
    ['auth none without URL', { auth_type: 'none' }, /needs the image URL/],
    ['password without user', { auth_url: 'http://k', password: 'p', project_name: 'x' }, /no user name/],
    ['no method', { auth_url: 'http://k', username: 'u', project_name: 'x' }, /neither a password/],
    ['no project', { auth_url: 'http://k', username: 'u', password: 'p' }, /no project/],
    ['unknown auth type', { auth_type: 'saml2', auth_url: 'http://k' }, /not supported/],
    ['bad interface', { auth_url: 'http://k', username: 'u', password: 'p', project_name: 'x', interface: 'private' }, /interface must be/],
  ])('%s → clear error', (_name, settings, re) => {
    expect(() => credentialsFromSettings(settings, 'test')).toThrow(re);
  });

  it('parses interfaces', () => {
    expect(parseInterface('publicURL')).toBe('public');
    expect(parseInterface(' Admin ')).toBe('admin');
  });
});

describe('settingsFromEnv', () => {
  it('reads OS_* variables, new names before old, empty ignored', () => {
    expect(
      settingsFromEnv({ OS_AUTH_URL: 'http://k', OS_TENANT_NAME: 'old', OS_PROJECT_NAME: 'new', OS_AUTH_TOKEN: 't', OS_REGION_NAME: '', OS_ENDPOINT_TYPE: 'internalURL', PATH: '/bin' }),
    ).toEqual({ auth_url: 'http://k', project_name: 'new', token: 't', interface: 'internalURL' });
  });
});

describe('clouds.yaml', () => {
  const yaml = `
clouds:
  devstack:
    auth:
      auth_url: http://k:5000/v3
      username: demo
      project_name: demo
      user_domain_name: Default
      project_domain_id: default
    region_name: RegionOne
    interface: internal
  noauth:
    auth_type: none
    auth:
      endpoint: http://127.0.0.1:19292
`;
  it('reads one cloud, with secure.yaml merged', () => {
    expect(cloudSettings(yaml, 'devstack', 'clouds.yaml', 'clouds:\n  devstack:\n    auth:\n      password: s3cret\n')).toEqual({
      auth_url: 'http://k:5000/v3',
      username: 'demo',
      password: 's3cret',
      project_name: 'demo',
      user_domain_name: 'Default',
      project_domain_id: 'default',
      region_name: 'RegionOne',
      interface: 'internal',
    });
  });

  it('openstacksdk spellings: image_interface over interface, endpoint_type, regions as mappings', () => {
    const text = `clouds:
  a:
    auth: { auth_url: 'http://k/v3' }
    interface: public
    image_interface: internal
    regions:
      - name: RegionTwo
        values: { foo: bar }
      - RegionThree
  b:
    auth: { auth_url: 'http://k/v3' }
    endpoint_type: adminURL
`;
    expect(cloudSettings(text, 'a', 'clouds.yaml')).toMatchObject({ interface: 'internal', region_name: 'RegionTwo' });
    expect(cloudSettings(text, 'b', 'clouds.yaml')).toMatchObject({ interface: 'adminURL' });
  });

  it('secure.yaml is found where openstacksdk looks (OS_CLIENT_SECURE_FILE first)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clouds-'));
    writeFileSync(join(dir, 'clouds.yaml'), yaml);
    const elsewhere = join(mkdtempSync(join(tmpdir(), 'secure-')), 'mine.yaml');
    writeFileSync(elsewhere, 'clouds:\n  devstack:\n    auth:\n      password: from-env-file\n');
    expect(loadCloudSettings('devstack', { OS_CLIENT_SECURE_FILE: elsewhere, HOME: dir }, dir).settings.password).toBe('from-env-file');
  });

  it('noauth cloud', () => {
    expect(credentialsFromSettings(cloudSettings(yaml, 'noauth', 'clouds.yaml'), 'x')).toEqual({ kind: 'none', imageUrl: 'http://127.0.0.1:19292' });
  });

  it.each([
    ['missing cloud', yaml, /no cloud named "nope" \(it has: devstack, noauth\)/],
    ['no clouds key', 'foo: 1\n', /no "clouds:" mapping/],
    ['bad YAML', 'clouds: [\n', /not valid YAML/],
  ])('%s → clear error', (_n, text, re) => {
    expect(() => cloudSettings(text, 'nope', 'clouds.yaml')).toThrow(re);
  });

  it('credentialsFromSources: OS_CLOUD picks clouds.yaml; flags override; env OS_* used without a cloud', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clouds-'));
    writeFileSync(join(dir, 'clouds.yaml'), yaml);
    const env = { OS_CLOUD: 'noauth', OS_AUTH_URL: 'http://ignored' };
    expect(credentialsFromSources({ flags: {}, env, cwd: dir })).toEqual({ kind: 'none', imageUrl: 'http://127.0.0.1:19292' });
    expect(credentialsFromSources({ flags: { image_url: 'http://other:1' }, env, cwd: dir })).toEqual({ kind: 'none', imageUrl: 'http://other:1' });
    expect(credentialsFromSources({ flags: { token: 't', image_url: 'http://g' }, env: {}, cwd: dir })).toEqual({ kind: 'token', token: 't', imageUrl: 'http://g' });
    expect(() => credentialsFromSources({ flags: {}, cloud: 'x', env: { HOME: dir }, cwd: join(dir, 'nowhere') })).toThrow(/no clouds.yaml found/);
  });

  // As python-openstackclient: OS_* variables are its options' defaults, over the clouds.yaml entry.
  it('credentialsFromSources: OS_* variables override the named cloud, flags override both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clouds-'));
    writeFileSync(join(dir, 'clouds.yaml'), yaml);
    writeFileSync(join(dir, 'secure.yaml'), 'clouds:\n  devstack:\n    auth:\n      password: s3cret\n');
    const got = credentialsFromSources({ flags: {}, env: { OS_CLOUD: 'devstack', OS_REGION_NAME: 'RegionTwo', OS_INTERFACE: 'admin' }, cwd: dir });
    expect(got).toMatchObject({ kind: 'keystone', authUrl: 'http://k:5000/v3', regionName: 'RegionTwo', interfaces: ['admin'] });
    const flagged = credentialsFromSources({ flags: { region_name: 'RegionThree' }, env: { OS_CLOUD: 'devstack', OS_REGION_NAME: 'RegionTwo' }, cwd: dir });
    expect(flagged).toMatchObject({ regionName: 'RegionThree' });
  });

  it('credentialsFromSources: --os-token over a sourced openrc is that token, not the openrc password', () => {
    const openrc = { OS_AUTH_URL: 'http://k:5000/v3', OS_USERNAME: 'demo', OS_PASSWORD: 'pw', OS_PROJECT_NAME: 'demo' };
    expect(credentialsFromSources({ flags: { token: 'tok', image_url: 'http://g:9292' }, env: openrc, cwd: '/' })).toEqual({ kind: 'token', token: 'tok', imageUrl: 'http://g:9292' });
    expect(credentialsFromSources({ flags: { token: 'tok' }, env: openrc, cwd: '/' })).toMatchObject({ kind: 'keystone', authUrl: 'http://k:5000/v3', method: { kind: 'token', token: 'tok' } });
    // A password given as a flag still wins over a token from the environment.
    expect(credentialsFromSources({ flags: { password: 'flagpw' }, env: { ...openrc, OS_TOKEN: 'envtok' }, cwd: '/' })).toMatchObject({ method: { kind: 'password', password: 'flagpw' } });
  });
});
