/**
 * Runs an instance's user-data scripts (planned by {@link planUserData} and
 * placed before the first start) inside its container, as cloud-init's
 * scripts-user stage does in a VM: as root, in order, every script even after
 * one fails, output appended to a log file in the instance. It runs in the
 * background: Nova's spawn returns (the server goes ACTIVE) while the scripts
 * run, as a VM is ACTIVE while cloud-init works. The results are logged.
 */
import { toBridgeError } from '../errors/bridge-error.js';
import type { Logger } from '../log/logger.js';
import type { InstanceRuntime } from './instance-runtime.js';
import { USER_DATA_LOG } from './translate/user-data.js';

/**
 * The script's output goes to the log in the container, not to our exec
 * stream: a script outliving our wait (or the service) would otherwise die of
 * SIGPIPE on its next write once the stream closes.
 */
const RUN_SCRIPT = 'exec "$1" >>"$2" 2>&1';

/**
 * Starts the instance's pending user data (recorded at spawn) in the
 * background, once: called after every successful start of the container,
 * so an instance spawned powered off runs it at its first power-on. Returns
 * whether anything was started.
 */
export async function startPendingUserData(rt: InstanceRuntime, containerId: string, uuid: string): Promise<boolean> {
  const scripts = await rt.state.takePendingUserData(uuid);
  if (scripts === null) return false;
  if (scripts.length === 0) {
    rt.logger.warning('user data not run: its record in the state directory was unreadable', { instance: uuid });
    return false;
  }
  startUserData(rt, containerId, uuid, scripts);
  return true;
}

/** Starts the scripts in the background; returns at once. */
export function startUserData(rt: InstanceRuntime, containerId: string, uuid: string, scripts: readonly string[]): void {
  if (scripts.length === 0) return;
  const log = rt.logger.child({ instance: uuid });
  rt.runInBackground((signal) => runScripts(rt, containerId, scripts, log, signal));
}

async function runScripts(rt: InstanceRuntime, containerId: string, scripts: readonly string[], log: Logger, signal: AbortSignal): Promise<void> {
  const timeoutMs = rt.settings.userDataTimeoutSeconds * 1000;
  for (const script of scripts) {
    const started = rt.clock.now();
    try {
      const r = await rt.engine.execRun(containerId, { cmd: ['/bin/sh', '-c', RUN_SCRIPT, 'user-data', script, USER_DATA_LOG], user: 'root', maxOutputBytes: 4096, timeoutMs }, signal);
      const ms = Math.round(rt.clock.now() - started);
      if (r.exitCode === 0) {
        log.info('user-data script ran', { script, ms, log: USER_DATA_LOG });
      } else {
        // Only the shell's own complaints arrive here (no /bin/sh, an unwritable log); the script's output is in the log.
        log.warning('user-data script failed', { script, exit_code: r.exitCode, ms, output: r.output.toString('utf8').slice(0, 1000), log: USER_DATA_LOG });
      }
    } catch (err) {
      const e = toBridgeError(err);
      if (signal.aborted) {
        log.warning('user-data script no longer followed: the service is stopping (it goes on in the container)', { script });
        return;
      }
      if (e.code === 'ERR_INSTANCE_NOT_FOUND') {
        log.info('user-data scripts stopped: the container is gone', { script });
        return;
      }
      if (e.code === 'ERR_TIMEOUT') {
        log.warning('user-data script still running; no longer followed (it goes on in the container)', { script, seconds: rt.settings.userDataTimeoutSeconds, log: USER_DATA_LOG });
      } else {
        log.warning('user-data script could not be run', { script, code: e.code, err: e.message });
      }
    }
  }
}
