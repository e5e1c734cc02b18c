/**
 * The user-data runner's verdicts, with an Engine that only answers execRun:
 * every script runs even after one fails or cannot start; a vanished
 * container stops the rest; each outcome is logged at its level.
 */
import { describe, expect, it } from 'vitest';
import type { DockerEngine, ExecOptions, ExecResult } from '../../../src/docker/docker-engine.js';
import { InstanceRuntime } from '../../../src/compute/instance-runtime.js';
import { startUserData } from '../../../src/compute/run-user-data.js';
import { USER_DATA_LOG } from '../../../src/compute/translate/user-data.js';
import { BridgeError } from '../../../src/errors/bridge-error.js';
import { createLogger } from '../../../src/log/logger.js';
import { systemClock } from '../../../src/util/clock.js';
import { baseSettings } from '../../helpers/driver-settings.js';

type Outcome = ExecResult | BridgeError;

function world(outcomes: Record<string, Outcome>) {
  const ran: Array<{ script: string; options: ExecOptions }> = [];
  const engine = {
    execRun: async (_id: string, options: ExecOptions): Promise<ExecResult> => {
      const script = options.cmd[4] ?? '';
      ran.push({ script, options });
      const o = outcomes[script] ?? { exitCode: 0, output: Buffer.alloc(0) };
      if (o instanceof BridgeError) throw o;
      return o;
    },
  } as unknown as DockerEngine;
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'debug', format: 'json', write: (l) => void logs.push(JSON.parse(l) as Record<string, unknown>) });
  const rt = new InstanceRuntime(engine, { ...baseSettings('h1', '/nonexistent'), userDataTimeoutSeconds: 7 }, logger, systemClock);
  return { rt, ran, logs };
}

describe('startUserData', () => {
  it('runs every script as root through /bin/sh into the log, even after one fails or cannot be started', async () => {
    const { rt, ran, logs } = world({
      '/s/1': { exitCode: 3, output: Buffer.from('') },
      '/s/2': new BridgeError('ERR_DOCKER', 'exec create failed'),
      '/s/3': new BridgeError('ERR_TIMEOUT', 'deadline'),
    });
    startUserData(rt, 'c1', 'u1', ['/s/1', '/s/2', '/s/3', '/s/4']);
    await rt.backgroundSettled();
    expect(ran.map((r) => r.script)).toEqual(['/s/1', '/s/2', '/s/3', '/s/4']);
    expect(ran[0]!.options).toMatchObject({ user: 'root', timeoutMs: 7000, cmd: ['/bin/sh', '-c', expect.stringContaining('>>"$2" 2>&1'), 'user-data', '/s/1', USER_DATA_LOG] });
    const byMsg = (m: string) => logs.filter((l) => l.msg === m);
    expect(byMsg('user-data script failed')).toMatchObject([{ level: 'warning', exit_code: 3, script: '/s/1', instance: 'u1' }]);
    expect(byMsg('user-data script could not be run')).toMatchObject([{ level: 'warning', code: 'ERR_DOCKER', script: '/s/2' }]);
    expect(byMsg('user-data script still running; no longer followed (it goes on in the container)')).toMatchObject([{ script: '/s/3', seconds: 7 }]);
    expect(byMsg('user-data script ran')).toMatchObject([{ level: 'info', script: '/s/4' }]);
  });

  it('stops at a container that is gone', async () => {
    const { rt, ran, logs } = world({ '/s/1': new BridgeError('ERR_INSTANCE_NOT_FOUND', 'no such container') });
    startUserData(rt, 'c1', 'u1', ['/s/1', '/s/2']);
    await rt.backgroundSettled();
    expect(ran.map((r) => r.script)).toEqual(['/s/1']);
    expect(logs.some((l) => l.msg === 'user-data scripts stopped: the container is gone')).toBe(true);
  });

  it('does nothing without scripts', async () => {
    const { rt, ran } = world({});
    startUserData(rt, 'c1', 'u1', []);
    await rt.backgroundSettled();
    expect(ran).toEqual([]);
  });
});
