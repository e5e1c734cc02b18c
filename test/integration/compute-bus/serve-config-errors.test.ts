/**
 * `serve` with settings that are only checked when the adapters are built
 * (TLS files of a TCP Engine): a clear message naming the key and exit code 2,
 * like any configuration error, not a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { REPO_ROOT, TRANSPORT_URL } from '../../helpers/services.js';

test('serve: a [docker] cert_file without key_file exits 2 naming the keys, without a stack trace', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ndb-serve-cfg-'));
  const conf = path.join(dir, 'bridge.conf');
  writeFileSync(conf, `[DEFAULT]\nhost = cfg-test\ntransport_url = ${TRANSPORT_URL}\n[compute]\nstate_dir = ${dir}/state\n[docker]\nhost_url = tcp://127.0.0.1:2376\ncert_file = ${dir}/missing-cert.pem\n`);
  const r = spawnSync(process.execPath, [`${REPO_ROOT}bin/nova-docker-bridge.js`, 'serve', '--config-file', conf], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  expect(r.stderr).toMatch(/cert_file/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.status).toBe(2);
});

test('serve: an unreadable [oslo_messaging_rabbit] ssl_ca_file exits 2 naming it (not retried as a broker outage)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ndb-serve-cfg-'));
  const conf = path.join(dir, 'bridge.conf');
  writeFileSync(conf, `[DEFAULT]\nhost = cfg-test\ntransport_url = ${TRANSPORT_URL}\n[compute]\nstate_dir = ${dir}/state\n[oslo_messaging_rabbit]\nssl = true\nssl_ca_file = ${dir}/missing-ca.pem\n`);
  const r = spawnSync(process.execPath, [`${REPO_ROOT}bin/nova-docker-bridge.js`, 'serve', '--config-file', conf], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  expect(r.stderr).toMatch(/ssl_ca_file = .*missing-ca\.pem: cannot read it \(ENOENT\)/);
  expect(r.status).toBe(2);
});

test('serve --topic X is refused (exit 2) instead of running silently on the configured topic', () => {
  const r = spawnSync(process.execPath, [`${REPO_ROOT}bin/nova-docker-bridge.js`, 'serve', '--topic', 'elsewhere'], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  expect(r.stderr).toMatch(/--topic only apply to "call"/);
  expect(r.status).toBe(2);
});

test('check-config runs the same adapter checks as serve: [keystone_authtoken] auth_url without credentials is exit 2', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ndb-serve-cfg-'));
  const conf = path.join(dir, 'bridge.conf');
  writeFileSync(conf, `[DEFAULT]\nhost = cfg-test\ntransport_url = ${TRANSPORT_URL}\n[compute]\nstate_dir = ${dir}/state\n[keystone_authtoken]\nauth_url = http://127.0.0.1:5000/v3\n`);
  const bin = `${REPO_ROOT}bin/nova-docker-bridge.js`;
  const r = spawnSync(process.execPath, [bin, 'check-config', '--config-file', conf], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  expect(r.stderr).toMatch(/\[keystone_authtoken\] auth_url is set but username, password, project_name are not/);
  expect(r.status).toBe(2);
  // A valid file still prints the resolved configuration and exits 0, connecting to nothing.
  writeFileSync(conf, `[DEFAULT]\nhost = cfg-test\ntransport_url = ${TRANSPORT_URL}\n[compute]\nstate_dir = ${dir}/state\n`);
  const ok = spawnSync(process.execPath, [bin, 'check-config', '--config-file', conf], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  expect(ok.status).toBe(0);
  expect(JSON.parse(ok.stdout)).toMatchObject({ DEFAULT: { host: 'cfg-test' } });
});
