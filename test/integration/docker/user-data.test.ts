/**
 * User data on the real dockerd: Heat's MIME user data (what Sahara sends:
 * its cluster key and the wait-condition call in cfn-userdata) runs once as
 * root after the first start (for a server created stopped, at its first
 * power-on), not again on reboot; a script that outlives our
 * wait goes on; a destroy ends the wait; run_user_data = false runs nothing.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpawnArgs } from '../../../src/compute/payloads.js';
import { HEAT_CFNTOOLS_DIR, USER_DATA_LOG } from '../../../src/compute/translate/user-data.js';
import { run } from '../../helpers/services.js';
import { createDriverEnv, dockerExec, spawnPayload, type DriverEnv } from './driver-test-env.js';

let env: DriverEnv;
beforeAll(() => {
  env = createDriverEnv();
});
afterAll(async () => {
  await env.cleanup();
});

const KEY = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC Generated-by-Sahara';
const BOUNDARY = '===============7330845974216740156==';

function part(type: string, filename: string, body: string): string {
  return [`--${BOUNDARY}`, `Content-Type: ${type}; charset="us-ascii"`, 'MIME-Version: 1.0', 'Content-Transfer-Encoding: 7bit', `Content-Disposition: attachment; filename="${filename}"`, '', body].join('\n');
}

/** Heat's HEAT_CFNTOOLS layout, with Sahara's script as cfn-userdata and a failing second script. */
const HEAT_USER_DATA = [
  `Content-Type: multipart/mixed; boundary="${BOUNDARY}"`,
  'MIME-Version: 1.0',
  '',
  part('text/cloud-config', 'cloud-config', '#cloud-config\nuser: ec2-user\n'),
  part('text/x-cfninitdata', 'cfn-userdata', `#!/bin/sh\nmkdir -p /root/.ssh\necho "${KEY}" >> /root/.ssh/authorized_keys\necho cfn-userdata >> /tmp/runs\necho said-by-the-script\n`),
  part('text/x-shellscript', 'loguserdata.py', '#!/usr/bin/env python3\nraise SystemExit(1)\n'),
  part('text/x-shellscript', 'second.sh', '#!/bin/sh\necho second >> /tmp/runs\nexit 3\n'),
  `--${BOUNDARY}--`,
  '',
].join('\n');

const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function waitFor(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("Heat's user data", () => {
  const args = parseSpawnArgs(spawnPayload({ command: 'sleep 3600', instance: { user_data: b64(HEAT_USER_DATA) } }));
  const name = `nova-${args.instance.uuid}`;

  beforeAll(async () => {
    await env.driver.spawn(args);
    await env.driver.backgroundSettled();
  });

  it("runs cfn-userdata as root: Sahara's key lands in authorized_keys", async () => {
    expect(await dockerExec(name, ['cat', '/root/.ssh/authorized_keys'])).toBe(`${KEY}\n`);
  });

  it('runs every script in order once, logs their output in the container, and the failure in ours', async () => {
    expect(await dockerExec(name, ['cat', '/tmp/runs'])).toBe('cfn-userdata\nsecond\n');
    expect(await dockerExec(name, ['cat', USER_DATA_LOG])).toContain('said-by-the-script');
    const failed = env.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'user-data script failed' && l.instance === args.instance.uuid);
    expect(failed?.exit_code).toBe(3);
    expect(env.logs.some((l) => l.includes('loguserdata.py') && l.includes('not run') && l.includes('"level":"info"'))).toBe(true);
  });

  it("writes Heat's cfn data files root-only where Heat's part handler would", async () => {
    expect((await dockerExec(name, ['stat', '-c', '%a %u', `${HEAT_CFNTOOLS_DIR}/cfn-userdata`])).trim()).toBe('600 0');
  });

  it('does not run them again on reboot', async () => {
    await env.driver.reboot({ instance: args.instance, reboot_type: 'HARD' });
    await env.driver.backgroundSettled();
    expect(await dockerExec(name, ['cat', '/tmp/runs'])).toBe('cfn-userdata\nsecond\n');
  });
});

describe('long scripts', () => {
  it('a script that outlives user_data_timeout goes on after the service stops waiting', async () => {
    const driver = env.withSettings({ userDataTimeoutSeconds: 1 });
    const args = parseSpawnArgs(spawnPayload({ command: 'sleep 3600', instance: { user_data: b64('#!/bin/sh\necho started\nsleep 3\necho late > /tmp/late\necho still-writing\n') } }));
    const name = `nova-${args.instance.uuid}`;
    const t0 = Date.now();
    await driver.spawn(args);
    await driver.backgroundSettled();
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(env.logs.some((l) => l.includes('no longer followed') && l.includes(args.instance.uuid))).toBe(true);
    await waitFor('/tmp/late', async () => (await dockerExec(name, ['sh', '-c', 'cat /tmp/late 2>/dev/null || true'])).trim() === 'late');
    await waitFor('the rest of the output', async () => (await dockerExec(name, ['cat', USER_DATA_LOG])).includes('still-writing'));
  });

  it('a destroy ends the wait for a running script', async () => {
    const args = parseSpawnArgs(spawnPayload({ command: 'sleep 3600', instance: { user_data: b64('#!/bin/sh\nsleep 60\n') } }));
    await env.driver.spawn(args);
    await env.driver.destroy({ instance: args.instance });
    const t0 = Date.now();
    await env.driver.backgroundSettled();
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it("the service's stop ends the wait for a running script, and the script goes on", async () => {
    const driver = env.withSettings({});
    const args = parseSpawnArgs(spawnPayload({ command: 'sleep 3600', instance: { user_data: b64('#!/bin/sh\necho > /tmp/started\nsleep 2\necho done > /tmp/after-stop\n') } }));
    await driver.spawn(args);
    // Once it runs: a stop before the exec exists leaves nothing to go on.
    await waitFor('the script to start', async () => (await dockerExec(`nova-${args.instance.uuid}`, ['sh', '-c', 'test -e /tmp/started && echo yes || true'])).trim() === 'yes');
    const t0 = Date.now();
    await driver.stopBackground();
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect(env.logs.some((l) => l.includes('the service is stopping') && l.includes(args.instance.uuid))).toBe(true);
    await waitFor('/tmp/after-stop', async () => (await dockerExec(`nova-${args.instance.uuid}`, ['sh', '-c', 'cat /tmp/after-stop 2>/dev/null || true'])).trim() === 'done');
  });
});

describe('an instance spawned powered off', () => {
  const once = b64('#!/bin/sh\necho ran >> /tmp/runs\n');

  it('runs its user data at the first power_on, once: not at the next power cycle or reboot', async () => {
    const args = parseSpawnArgs(spawnPayload({ command: 'sleep 3600', instance: { user_data: once }, extra: { power_on: false } }));
    const name = `nova-${args.instance.uuid}`;
    const pending = path.join(env.stateDir, args.instance.uuid, 'user-data-pending.json');
    await env.driver.spawn(args);
    expect((await env.docker.getContainer(name).inspect()).State.Status).toBe('created');
    expect(existsSync(pending)).toBe(true);
    expect(env.logs.some((l) => l.includes('user data will run at the instance') && l.includes(args.instance.uuid))).toBe(true);
    await env.driver.power_on({ instance: args.instance });
    await env.driver.backgroundSettled();
    expect(await dockerExec(name, ['cat', '/tmp/runs'])).toBe('ran\n');
    expect(existsSync(pending)).toBe(false);
    await env.driver.power_off({ instance: args.instance, timeout: 0, retry_interval: 0 });
    await env.driver.power_on({ instance: args.instance });
    await env.driver.reboot({ instance: args.instance, reboot_type: 'HARD' });
    await env.driver.backgroundSettled();
    expect(await dockerExec(name, ['cat', '/tmp/runs'])).toBe('ran\n');
  });

  it('started while the service was down: init_host runs the user data it had not run', async () => {
    const args = parseSpawnArgs(spawnPayload({ command: 'sleep 3600', instance: { user_data: once }, extra: { power_on: false } }));
    const name = `nova-${args.instance.uuid}`;
    await env.driver.spawn(args);
    // What a service stopped between the container's start and the scripts' leaves.
    await run('docker', ['start', name]);
    expect(await dockerExec(name, ['sh', '-c', 'cat /tmp/runs 2>/dev/null || true'])).toBe('');
    await env.driver.init_host({ host: env.host });
    await env.driver.backgroundSettled();
    expect(await dockerExec(name, ['cat', '/tmp/runs'])).toBe('ran\n');
    expect(env.logs.some((l) => l.includes('a restart interrupted before it ran') && l.includes(args.instance.uuid))).toBe(true);
    await env.driver.init_host({ host: env.host });
    await env.driver.backgroundSettled();
    expect(await dockerExec(name, ['cat', '/tmp/runs'])).toBe('ran\n');
  });
});

describe('run_user_data = false', () => {
  it('places and runs nothing', async () => {
    const driver = env.withSettings({ runUserData: false });
    const args = parseSpawnArgs(spawnPayload({ command: 'sleep 3600', instance: { user_data: b64('#!/bin/sh\necho x > /tmp/ran\n') } }));
    const name = `nova-${args.instance.uuid}`;
    await driver.spawn(args);
    await driver.backgroundSettled();
    expect((await dockerExec(name, ['sh', '-c', 'ls /tmp/ran /var/lib/nova-docker-bridge 2>&1 || true'])).trim()).toMatch(/No such file/);
  });
});
