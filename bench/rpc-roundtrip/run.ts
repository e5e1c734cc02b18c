/**
 * RPC round-trip benchmark (issue 2 §5): the same Python oslo.messaging load
 * client calls a no-op method on the reference Python oslo server and then on
 * our TypeScript server, on the same broker in the same run, and prints
 * p50/p90/p99 latency, throughput, server CPU per call and the ratios against
 * the goals (our p50 ≤ 0.7× Python's, our throughput ≥ 1.5× Python's).
 *
 * Usage: npx tsx bench/rpc-roundtrip/run.ts [--seconds 10] [--concurrency 1,8,32]
 *          [--warmup 2] [--rounds 1] [--url rabbit://guest:guest@127.0.0.1:5672/]
 *          [--client-processes 2] [--max-in-flight 64] [--quiet-wait 20]
 *          [--json FILE] [--strict]
 * Exit status: 0 when every measurement completed (MISS is a result, not a
 * failure, unless --strict), 1 on a failed measurement, 2 on bad arguments.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
/** Debian's Python: the pyenv python3 on PATH cannot import oslo.messaging. */
const PYTHON = '/usr/bin/python3';
const GOAL_P50_RATIO = 0.7;
const GOAL_THROUGHPUT_RATIO = 1.5;
const CLK_TCK = 100; // Linux USER_HZ; /proc/<pid>/stat times are in these ticks

type Kind = 'python' | 'ours';

interface Options {
  seconds: number;
  warmup: number;
  concurrency: number[];
  rounds: number;
  url: string;
  maxInFlight: number;
  /** Python client processes the callers are spread over (GIL: one process tops out near one core). */
  clientProcesses: number;
  /** Seconds to wait, before each measurement, for other work on the machine to calm down (0: don't). */
  quietWait: number;
  json: string | null;
  strict: boolean;
}

/** One py_load.py result plus what the driver measured around it. */
interface Measurement {
  kind: Kind;
  round: number;
  concurrency: number;
  count: number;
  errors: number;
  first_error: string | null;
  throughput_per_s: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  mean_ms: number;
  max_ms: number;
  client_cpu_s: number;
  /** Server process CPU (user+system) over the measured window. */
  server_cpu_s: number;
  /** Broker (beam.smp) CPU over the window, when the broker runs on this machine. */
  broker_cpu_s: number | null;
  /** Whole-machine busy CPU over the window (all cores). */
  machine_cpu_s: number | null;
  /** Other processes' CPU over the window on the 2-core box: the noise figure. */
  other_cpu_s: number | null;
}

function usage(msg: string): never {
  process.stderr.write(
    `${msg}\nusage: npx tsx bench/rpc-roundtrip/run.ts [--seconds 10] [--concurrency 1,8,32] [--warmup 2] [--rounds 1] ` +
      '[--url rabbit://guest:guest@127.0.0.1:5672/] [--client-processes 2] [--max-in-flight 64] [--quiet-wait 20] [--json FILE] [--strict]\n',
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    seconds: 10,
    warmup: 2,
    concurrency: [1, 8, 32],
    rounds: 1,
    url: 'rabbit://guest:guest@127.0.0.1:5672/',
    maxInFlight: 64,
    clientProcesses: 2,
    quietWait: 20,
    json: null,
    strict: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--strict') {
      o.strict = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) usage(`${flag} needs a value`);
    const num = (name: string, min: number): number => {
      const n = Number(value);
      if (!Number.isFinite(n) || n < min) usage(`${name} must be a number >= ${min}, got ${JSON.stringify(value)}`);
      return n;
    };
    switch (flag) {
      case '--seconds':
        o.seconds = num(flag, 0.1);
        break;
      case '--warmup':
        o.warmup = num(flag, 0);
        break;
      case '--rounds':
        o.rounds = Math.trunc(num(flag, 1));
        break;
      case '--client-processes':
        o.clientProcesses = Math.trunc(num(flag, 1));
        break;
      case '--quiet-wait':
        o.quietWait = num(flag, 0);
        break;
      case '--max-in-flight':
        o.maxInFlight = Math.trunc(num(flag, 1));
        break;
      case '--url':
        o.url = value;
        break;
      case '--json':
        o.json = value;
        break;
      case '--concurrency': {
        const levels = value.split(',').map((s) => Number(s.trim()));
        if (levels.length === 0 || levels.some((n) => !Number.isInteger(n) || n < 1)) {
          usage(`--concurrency must be a comma-separated list of integers >= 1, got ${JSON.stringify(value)}`);
        }
        o.concurrency = levels;
        break;
      }
      default:
        usage(`unknown option ${JSON.stringify(flag)}`);
    }
  }
  return o;
}

/** A child process whose output is kept for error messages and whose stdout lines can be awaited. */
class Proc {
  readonly child: ChildProcess;
  private out = '';
  private err = '';
  private readonly lineWaiters: Array<{ line: string; resolve: () => void }> = [];
  readonly exited: Promise<number | null>;

  constructor(
    readonly label: string,
    cmd: string,
    args: string[],
  ) {
    this.child = spawn(cmd, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null)));
      this.child.on('error', (e) => {
        this.err += `spawn failed: ${e.message}\n`;
        resolve(-1);
      });
    });
    let partial = '';
    this.child.stdout?.on('data', (b: Buffer) => {
      this.out += b.toString();
      partial += b.toString();
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl).trim();
        partial = partial.slice(nl + 1);
        for (let i = this.lineWaiters.length - 1; i >= 0; i--) {
          const w = this.lineWaiters[i];
          if (w && w.line === line) {
            this.lineWaiters.splice(i, 1);
            w.resolve();
          }
        }
      }
    });
    this.child.stderr?.on('data', (b: Buffer) => {
      this.err += b.toString();
      if (this.err.length > 200_000) this.err = this.err.slice(-100_000);
    });
  }

  get stdout(): string {
    return this.out;
  }

  /** Resolves when `line` is printed; rejects on exit or timeout, quoting the process's output. */
  waitLine(line: string, timeoutMs: number): Promise<void> {
    if (this.out.split('\n').some((l) => l.trim() === line)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(this.failure(`did not print ${line} within ${timeoutMs} ms`)), timeoutMs);
      this.lineWaiters.push({
        line,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(this.failure(`exited (${code}) before printing ${line}`));
      });
    });
  }

  failure(what: string): Error {
    const tail = (s: string): string => s.split('\n').slice(-15).join('\n');
    return new Error(`${this.label} ${what}\n--- stdout ---\n${tail(this.out)}\n--- stderr ---\n${tail(this.err)}`);
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }
}

/** user+system CPU seconds of one process, from /proc. */
function cpuSeconds(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
function machineCpuSeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    // cpu user nice system idle iowait irq softirq steal ...
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLK_TCK;
  } catch {
    return null;
  }
}

/**
 * Other agents and test suites share this machine. Before a measurement, wait
 * (up to `maxSeconds`) for a second in which the machine is nearly idle, so a
 * neighbour's burst does not land in one server's window only.
 */
async function waitQuiet(maxSeconds: number): Promise<void> {
  if (maxSeconds <= 0) return;
  const until = Date.now() + maxSeconds * 1000;
  let busy = 0;
  while (Date.now() < until) {
    const a = machineCpuSeconds();
    await new Promise((r) => setTimeout(r, 1000));
    const b = machineCpuSeconds();
    if (a === null || b === null) return;
    busy = b - a;
    if (busy < 0.25) return;
  }
  process.stderr.write(`(machine still busy: ${busy.toFixed(2)} cores used by others; measuring anyway) `);
}

/** The local RabbitMQ VM, to report broker CPU too (undefined when the broker is elsewhere). */
function brokerPid(): number | undefined {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'beam.smp') return Number(entry);
      } catch {
        // The process ended while we looked.
      }
    }
  } catch {
    // No /proc: no broker figure.
  }
  return undefined;
}

function startServer(kind: Kind, o: Options, topic: string, server: string): Proc {
  if (kind === 'python') {
    return new Proc('Python oslo server', PYTHON, [path.join(HERE, 'py_server.py'), o.url, topic, server]);
  }
  // Plain node with tsx's loader: one process (no npx/tsx wrapper processes to bill
  // or to forward signals). tsx transpiles each module once at start-up; the steady
  // state measured here runs the same V8 code as a compiled build.
  return new Proc('TypeScript server', process.execPath, [
    '--import',
    'tsx',
    path.join(HERE, 'ts-server.ts'),
    o.url,
    topic,
    server,
    String(o.maxInFlight),
  ]);
}

async function measure(kind: Kind, round: number, o: Options, srv: Proc, topic: string, server: string, concurrency: number, beam: number | undefined): Promise<Measurement> {
  const load = new Proc(`load client (${kind}, concurrency ${concurrency})`, PYTHON, [
    path.join(HERE, 'py_load.py'),
    o.url,
    topic,
    '--server',
    server,
    '--concurrency',
    String(concurrency),
    '--seconds',
    String(o.seconds),
    '--warmup',
    String(o.warmup),
    '--transport',
    'shared',
    '--processes',
    String(o.clientProcesses),
  ]);
  const budget = (o.warmup + o.seconds + 120) * 1000;
  await load.waitLine('WINDOW START', budget);
  const s0 = cpuSeconds(srv.child.pid);
  const b0 = cpuSeconds(beam);
  const m0 = machineCpuSeconds();
  await load.waitLine('WINDOW END', budget);
  const s1 = cpuSeconds(srv.child.pid);
  const b1 = cpuSeconds(beam);
  const m1 = machineCpuSeconds();
  const code = await load.exited;
  const last = load.stdout.trim().split('\n').pop() ?? '';
  let r: Omit<Measurement, 'kind' | 'round' | 'server_cpu_s' | 'broker_cpu_s' | 'machine_cpu_s' | 'other_cpu_s'>;
  try {
    r = JSON.parse(last) as typeof r;
  } catch {
    throw load.failure(`printed no JSON result (exit ${code})`);
  }
  if (code !== 0 || r.errors > 0 || r.count === 0) {
    throw load.failure(`failed: exit ${code}, ${r.count} calls, ${r.errors} errors, first: ${r.first_error ?? '-'}`);
  }
  if (s0 === null || s1 === null) throw srv.failure('exited during the measurement');
  const serverCpu = s1 - s0;
  const broker = b0 !== null && b1 !== null ? b1 - b0 : null;
  const machine = m0 !== null && m1 !== null ? m1 - m0 : null;
  return {
    ...r,
    kind,
    round,
    concurrency,
    server_cpu_s: serverCpu,
    broker_cpu_s: broker,
    machine_cpu_s: machine,
    other_cpu_s: machine !== null ? Math.max(0, machine - serverCpu - r.client_cpu_s - (broker ?? 0)) : null,
  };
}

/** Deletes the durable-less but non-auto-delete topic queues a server leaves behind (oslo's defaults). */
async function deleteQueues(url: string, names: string[]): Promise<void> {
  const conn = await amqp.connect(url.replace(/^rabbit:/, 'amqp:'));
  try {
    const ch = await conn.createChannel();
    for (const n of names) await ch.deleteQueue(n);
    await ch.close();
  } finally {
    await conn.close();
  }
}

async function checkPrerequisites(o: Options): Promise<void> {
  const py = new Proc('Python check', PYTHON, ['-c', 'import oslo_messaging']);
  if ((await py.exited) !== 0) {
    throw py.failure(
      `cannot import oslo_messaging with ${PYTHON}. Fix: apt-get install python3-oslo.messaging (scripts/setup.sh does it)`,
    );
  }
  try {
    const c = await amqp.connect(o.url.replace(/^rabbit:/, 'amqp:'));
    await c.close();
  } catch (err) {
    throw new Error(`RabbitMQ not reachable at ${o.url.replace(/:[^:@/]*@/, ':***@')}: ${(err as Error).message}. Fix: bash scripts/start-services.sh (or rabbitmq-server -detached)`);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

interface Summary {
  concurrency: number;
  kind: Kind;
  throughput: number;
  p50: number;
  p90: number;
  p99: number;
  serverCpuMsPerCall: number;
  serverCores: number;
  clientCores: number;
  brokerCores: number | null;
  otherCores: number | null;
}

function summarize(ms: Measurement[], kind: Kind, concurrency: number, seconds: number): Summary {
  const mine = ms.filter((m) => m.kind === kind && m.concurrency === concurrency);
  const brokers = mine.map((m) => m.broker_cpu_s).filter((v): v is number => v !== null);
  const others = mine.map((m) => m.other_cpu_s).filter((v): v is number => v !== null);
  return {
    concurrency,
    kind,
    throughput: median(mine.map((m) => m.throughput_per_s)),
    p50: median(mine.map((m) => m.p50_ms)),
    p90: median(mine.map((m) => m.p90_ms)),
    p99: median(mine.map((m) => m.p99_ms)),
    serverCpuMsPerCall: median(mine.map((m) => (m.server_cpu_s * 1000) / m.count)),
    serverCores: median(mine.map((m) => m.server_cpu_s / seconds)),
    clientCores: median(mine.map((m) => m.client_cpu_s / seconds)),
    brokerCores: brokers.length ? median(brokers) / seconds : null,
    otherCores: others.length ? median(others) / seconds : null,
  };
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** Which code was measured: commit, and whether src/rpc had uncommitted changes. */
function codeVersion(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src/rpc'], { cwd: REPO, encoding: 'utf8' }).trim();
    return `${head}${dirty ? ' + uncommitted src/rpc changes' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

function report(o: Options, ms: Measurement[]): { allPass: boolean; text: string } {
  const lines: string[] = [];
  const f = (n: number, d = 1): string => n.toFixed(d);
  lines.push(
    `RPC round trip, no-op call, Python oslo.messaging client (shared transport, callers spread over up to ${o.clientProcesses} process(es)), ` +
      `${o.seconds}s window after ${o.warmup}s warm-up, ` +
      `${o.rounds} round(s) (median), ${os.cpus().length} CPUs, node ${process.version}`,
  );
  lines.push(`code: ${codeVersion()}${process.env.NODE_OPTIONS ? `; NODE_OPTIONS=${process.env.NODE_OPTIONS}` : ''}`);
  lines.push('');
  const head = ['conc', 'server', 'calls/s', 'p50 ms', 'p90 ms', 'p99 ms', 'srv CPU ms/call', 'srv cores', 'client cores', 'broker cores', 'other cores'];
  const widths = [5, 8, 9, 8, 8, 8, 16, 10, 13, 13, 11];
  lines.push(head.map((h, i) => pad(h, widths[i] ?? 8)).join(' '));
  let allPass = true;
  const verdicts: string[] = [];
  for (const c of o.concurrency) {
    const py = summarize(ms, 'python', c, o.seconds);
    const ts = summarize(ms, 'ours', c, o.seconds);
    for (const s of [py, ts]) {
      lines.push(
        [
          String(c),
          s.kind,
          f(s.throughput),
          f(s.p50, 2),
          f(s.p90, 2),
          f(s.p99, 2),
          f(s.serverCpuMsPerCall, 3),
          f(s.serverCores, 2),
          f(s.clientCores, 2),
          s.brokerCores === null ? '-' : f(s.brokerCores, 2),
          s.otherCores === null ? '-' : f(s.otherCores, 2),
        ]
          .map((v, i) => pad(v, widths[i] ?? 8))
          .join(' '),
      );
    }
    const p50Ratio = ts.p50 / py.p50;
    const tputRatio = ts.throughput / py.throughput;
    const p50Ok = p50Ratio <= GOAL_P50_RATIO;
    const tputOk = tputRatio >= GOAL_THROUGHPUT_RATIO;
    allPass &&= p50Ok && tputOk;
    verdicts.push(
      `concurrency ${pad(String(c), 3)}: p50 ours/python = ${f(p50Ratio, 2)} (goal <= ${GOAL_P50_RATIO}) ${p50Ok ? 'PASS' : 'MISS'}; ` +
        `throughput ours/python = ${f(tputRatio, 2)} (goal >= ${GOAL_THROUGHPUT_RATIO}) ${tputOk ? 'PASS' : 'MISS'}; ` +
        `server CPU per call ours/python = ${f(ts.serverCpuMsPerCall / py.serverCpuMsPerCall, 2)}`,
    );
  }
  lines.push('', ...verdicts, '', allPass ? 'RESULT: PASS (all goals met)' : 'RESULT: MISS (at least one goal not met)');
  return { allPass, text: lines.join('\n') };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  await checkPrerequisites(o);
  const beam = brokerPid();
  const runId = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const measurements: Measurement[] = [];
  for (let round = 1; round <= o.rounds; round++) {
    // Alternate which server goes first so slow drift on a shared machine hits both alike.
    const order: Kind[] = round % 2 === 1 ? ['python', 'ours'] : ['ours', 'python'];
    for (const kind of order) {
      const topic = `bench_rpc_${kind}_${runId}_r${round}`;
      const server = 'bench';
      const srv = startServer(kind, o, topic, server);
      try {
        await srv.waitLine('READY', 60_000);
        for (const c of o.concurrency) {
          process.stderr.write(`round ${round}: ${kind} server, concurrency ${c} ... `);
          await waitQuiet(o.quietWait);
          const m = await measure(kind, round, o, srv, topic, server, c, beam);
          measurements.push(m);
          process.stderr.write(`${m.throughput_per_s} calls/s, p50 ${m.p50_ms} ms, p99 ${m.p99_ms} ms\n`);
        }
      } finally {
        await srv.stop();
        await deleteQueues(o.url, [topic, `${topic}.${server}`]).catch((err: unknown) => {
          process.stderr.write(`warning: could not delete benchmark queues of ${topic}: ${(err as Error).message}\n`);
        });
      }
    }
  }
  const { allPass, text } = report(o, measurements);
  process.stdout.write(`${text}\n`);
  if (o.json) {
    const meta = { code: codeVersion(), node: process.version, cpus: os.cpus().length, nodeOptions: process.env.NODE_OPTIONS ?? null, at: new Date().toISOString() };
    writeFileSync(o.json, `${JSON.stringify({ meta, options: o, measurements }, null, 2)}\n`);
  }
  if (o.strict && !allPass) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`\nbenchmark failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
