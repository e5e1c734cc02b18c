/**
 * One long-lived `openstack` process in its interactive mode, fed commands on
 * stdin. Every `openstack` invocation otherwise pays 1.5-2.5 s of Python
 * start-up (more than the API call itself); the e2e suite makes ~80 of them.
 *
 * The interactive mode has no exit status, so each command is followed by a
 * shell escape that prints a marker on stdout and on stderr: the command's
 * output is everything before the markers, and anything it wrote on stderr
 * makes it a failure (openstackclient reports errors there). A false failure
 * is possible (a warning on stderr), a false success is not.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/** Arguments passed through unquoted; cmd2 gives `;`, `|`, `>`, `&`, `#` and quotes their own meaning. */
const SAFE_ARG = /^[A-Za-z0-9_.,:=/@+%^-]+$/;

interface Pending {
  marker: string;
  resolve: (out: string) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  shown: string;
  /** Start-up: stderr holds warnings, not a failure. */
  ignoreStderr: boolean;
}

export class OpenstackSession {
  private child: ChildProcessWithoutNullStreams | undefined;
  private out = '';
  private err = '';
  private seq = 0;
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** True if `args` can go through the session (else use a one-shot `openstack`). */
  static accepts(args: readonly string[]): boolean {
    return args.every((a) => SAFE_ARG.test(a));
  }

  /** Runs one command; resolves with its stdout, rejects with its stderr. Commands run one at a time. */
  run(args: readonly string[], timeoutMs: number): Promise<string> {
    const bad = args.find((a) => !SAFE_ARG.test(a));
    if (bad !== undefined) return Promise.reject(new Error(`argument ${JSON.stringify(bad)} cannot go through the interactive openstack session`));
    const next = this.queue.then(() => this.exec(args, timeoutMs));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Ends the process (stdin closed: the interactive mode exits). */
  close(): void {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null) {
      child.stdin.end();
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
    }
  }

  private async exec(args: readonly string[], timeoutMs: number): Promise<string> {
    if (!this.child) await this.start();
    return this.send(args.join(' '), `openstack ${args.join(' ')}`, timeoutMs);
  }

  private async start(): Promise<void> {
    const child = spawn('openstack', [], { env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.out = '';
    this.err = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (s: string) => {
      this.out += s;
      this.settle();
    });
    child.stderr.on('data', (s: string) => {
      this.err += s;
      this.settle();
    });
    child.stdin.on('error', () => undefined);
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      const p = this.pending;
      if (p) {
        this.pending = undefined;
        clearTimeout(p.timer);
        p.reject(new Error(`${p.shown}: the interactive openstack process exited (${signal ?? code}): ${this.err.trim().slice(-1000)}`));
      }
    });
    // Whatever start-up prints (warnings) belongs to no command.
    await this.send('', 'openstack (interactive start-up)', 60_000, true);
  }

  private send(line: string, shown: string, timeoutMs: number, ignoreStderr = false): Promise<string> {
    const child = this.child;
    if (!child) return Promise.reject(new Error(`${shown}: no openstack process`));
    const marker = `__e2e_done_${process.pid}_${++this.seq}__`;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        // The command may still be running: this process is of no further use.
        const c = this.child;
        this.child = undefined;
        c?.kill('SIGKILL');
        reject(new Error(`${shown} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending = { marker, timer, shown, resolve, reject, ignoreStderr };
      const script = `!sh -c 'echo ${marker}; echo ${marker} 1>&2'`;
      child.stdin.write(line ? `${line}\n${script}\n` : `${script}\n`);
    });
  }

  private settle(): void {
    const p = this.pending;
    if (!p) return;
    const oi = this.out.indexOf(`${p.marker}\n`);
    const ei = this.err.indexOf(`${p.marker}\n`);
    if (oi < 0 || ei < 0) return;
    const stdout = this.out.slice(0, oi);
    const stderr = this.err.slice(0, ei).trim();
    this.out = this.out.slice(oi + p.marker.length + 1);
    this.err = this.err.slice(ei + p.marker.length + 1);
    this.pending = undefined;
    clearTimeout(p.timer);
    if (stderr && !p.ignoreStderr) p.reject(new Error(`${p.shown} failed: ${stderr.slice(-2000)}`));
    else p.resolve(stdout);
  }
}
