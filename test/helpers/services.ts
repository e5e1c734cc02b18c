/**
 * Where the real services the integration tests use live, and small helpers to
 * drive them. scripts/start-services.sh and test/helpers/global-setup.ts make
 * sure these addresses answer before any integration test runs.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

/** The repository root (absolute, with a trailing slash). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** amqplib URL of the local RabbitMQ, default vhost "/". */
export const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672/';
/** The same broker as an oslo.messaging transport URL ([DEFAULT] transport_url). */
export const TRANSPORT_URL = 'rabbit://guest:guest@127.0.0.1:5672/';
export const RABBITMQ_LOG_DIR = '/var/log/rabbitmq';

export const DOCKER_SOCKET = '/var/run/docker.sock';
/** Where scripts/start-services.sh sends dockerd's output when it starts it as root. */
export const DOCKERD_LOG = '/var/log/dockerd.log';
/** Built locally by scripts/build-test-image.sh (busybox-static rootfs; no registry needed). */
export const TEST_IMAGE = 'nova-docker-bridge-test/busybox:latest';
/**
 * Label for every container/network/volume a test creates, so clean-up can
 * filter on it and never touches anything else on the machine.
 */
export const TEST_LABEL = 'nova-docker-bridge.test';

/** Debian's Python, the one that can import oslo.messaging (the PATH python3 cannot). */
export const PYTHON = '/usr/bin/python3';

/** Output of a finished command. */
export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link run}. */
export interface RunOptions {
  /** Killed (SIGKILL) after this long; default 60 s. */
  timeoutMs?: number;
  /** Written to the command's stdin, which is then closed. */
  input?: string | Buffer;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a program without a shell. Resolves with its output on exit code 0;
 * otherwise rejects with an Error naming the command, exit status and stderr.
 */
export function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const shown = [file, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${shown}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) return resolve({ stdout, stderr });
      const why = timedOut ? `timed out after ${timeoutMs} ms` : signal ? `killed by ${signal}` : `exit code ${code}`;
      reject(new Error(`${shown} failed (${why}): ${(stderr.trim() || stdout.trim()).slice(-2000)}`));
    });
    // A command that exits without reading stdin closes the pipe; that is not an error of ours.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Runs `rabbitmqctl -q <args>` (as root it switches to the rabbitmq user itself); resolves with stdout. */
export async function rabbitmqctl(args: readonly string[], timeoutMs = 60_000): Promise<string> {
  return (await run('rabbitmqctl', ['-q', ...args], { timeoutMs })).stdout;
}

/** Runs Debian's Python ({@link PYTHON}) with the given arguments. */
export function python(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return run(PYTHON, args, options);
}

/**
 * A name no other test run uses: for queues, exchanges, topics, hosts, containers.
 * Only [a-z0-9-] are added, so the result is valid wherever the prefix is.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid.toString(36)}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** What is awaited, for the timeout message. */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns something other than undefined/false, and
 * resolves with that. A probe that throws counts as "not yet"; its last error
 * is included in the timeout message.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, options: WaitForOptions): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const last = lastError === undefined ? '' : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what}${last}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
