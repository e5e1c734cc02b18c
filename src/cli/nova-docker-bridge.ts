/**
 * `nova-docker-bridge`: the compute service's command line.
 *
 *   serve         run the compute service on the RPC bus
 *   check-config  validate the configuration and print the resolved values
 *   call          call a method of a running service over the bus (operators' probe)
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load-config.js';
import type { BridgeConfig } from '../config/options/index.js';
import { CONFIG_DEFS } from '../config/options/index.js';
import { isBridgeError } from '../errors/bridge-error.js';
import { createLogger, type Logger } from '../log/logger.js';
import { busFromConfig, topologyFlags } from '../rpc/bus-from-config.js';
import { RemoteRpcError } from '../rpc/remote-failure.js';
import { RpcClient } from '../rpc/rpc-client.js';
import { redactTransportUrl } from '../rpc/transport-url.js';
import { buildComputeService } from '../service/build-compute-service.js';

/** Read when no --config-file is given, as oslo.config does for /etc/<project>/<project>.conf. */
export const DEFAULT_CONFIG_FILE = '/etc/nova-docker-bridge/nova-docker-bridge.conf';

const USAGE = `Usage: nova-docker-bridge <command> [options]

Commands:
  serve          Run the compute service: consume Nova driver calls from the
                 RPC bus and carry them out on Docker.
  check-config   Validate the configuration; print the resolved values.
  call METHOD    Call METHOD on a running service and print the JSON result.

Options:
  --config-file FILE   INI configuration file; repeatable, later files override
                       earlier ones (default: ${DEFAULT_CONFIG_FILE} if present)
  --debug              Log at DEBUG level (same as [DEFAULT] debug = true)
  -h, --help           Show this help
  --version            Print the version

Options of "call":
  --arg KEY=JSON       Keyword argument (JSON value; bare text is a string); repeatable
  --server HOST        Target host (default: [DEFAULT] host)
  --topic TOPIC        Target topic (default: [bridge] topic)
  --version-cap X.Y    RPC version to request (default: 1.0)
  --timeout SECONDS    Reply timeout (default: [DEFAULT] rpc_response_timeout)

Exit codes: 0 success, 1 runtime failure, 2 bad usage or configuration.
See docs/configuration.md for every option.`;

export async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        'config-file': { type: 'string', multiple: true },
        debug: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
        arg: { type: 'string', multiple: true },
        server: { type: 'string' },
        topic: { type: 'string' },
        'version-cap': { type: 'string' },
        timeout: { type: 'string' },
      },
    });
  } catch (err) {
    process.stderr.write(`nova-docker-bridge: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    process.stdout.write(`nova-docker-bridge ${await packageVersion()}\n`);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined && !values.help ? 2 : 0;
  }
  // `serve --topic X` would otherwise run on the configured topic without a word.
  const callOnly = (['arg', 'server', 'topic', 'version-cap', 'timeout'] as const).filter((k) => values[k] !== undefined);
  if (command !== 'call' && callOnly.length > 0) {
    process.stderr.write(`nova-docker-bridge: ${callOnly.map((k) => `--${k}`).join(', ')} only apply to "call"; for ${command}, set them in the configuration file\n\n${USAGE}\n`);
    return 2;
  }
  const files = values['config-file'] ?? (existsSync(DEFAULT_CONFIG_FILE) ? [DEFAULT_CONFIG_FILE] : []);
  const boot = createLogger({ name: 'nova_docker_bridge.config' });
  let config: BridgeConfig;
  try {
    config = loadConfig(files, {
      warn: (m) => boot.warning(m),
      ...(values.debug ? { overrides: { DEFAULT: { debug: 'true' } } } : {}),
    });
  } catch (err) {
    process.stderr.write(`nova-docker-bridge: configuration error: ${(err as Error).message}\n`);
    return 2;
  }
  // The probe command prints its result on stdout; keep its own logging to warnings unless asked.
  const quiet = command !== 'serve' && !config.DEFAULT.debug;
  const logger = createLogger({ format: config.DEFAULT.log_format, level: config.DEFAULT.debug ? 'debug' : quiet ? 'warning' : 'info' });
  switch (command) {
    case 'serve':
      return serve(config, logger);
    case 'check-config': {
      // The checks that need the adapters (TLS files, Keystone credentials, Engine URL) run the
      // way serve runs them: the adapters are built, nothing is connected.
      const built = await buildService(config, logger);
      if (typeof built === 'number') return built;
      process.stdout.write(`${JSON.stringify(redacted(config), null, 2)}\n`);
      return 0;
    }
    case 'call':
      return call(config, logger, rest, values);
    default:
      process.stderr.write(`nova-docker-bridge: unknown command "${command}"\n\n${USAGE}\n`);
      return 2;
  }
}

/**
 * The service with its adapters built, or the exit code after reporting why
 * not. Settings only the adapters check (TLS files, Keystone credentials) are
 * configuration errors like the ones found at load time, not a stack trace.
 */
async function buildService(config: BridgeConfig, logger: Logger): Promise<Awaited<ReturnType<typeof buildComputeService>> | number> {
  try {
    return await buildComputeService(config, logger);
  } catch (err) {
    process.stderr.write(`nova-docker-bridge: ${(err as Error).message}\n`);
    return isBridgeError(err) && err.code === 'ERR_CONFIG_INVALID' ? 2 : 1;
  }
}

async function serve(config: BridgeConfig, logger: Logger): Promise<number> {
  const service = await buildService(config, logger);
  if (typeof service === 'number') return service;
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      logger.warning(`second ${sig}: exiting without waiting for in-flight calls`);
      process.exit(1);
    }
    logger.info(`${sig} received: stopping (in-flight calls get up to ${config.DEFAULT.graceful_shutdown_timeout} s)`);
    void service.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await service.start();
  } catch (err) {
    logger.error('start-up failed', { error: (err as Error).message, code: isBridgeError(err) ? err.code : undefined });
    await service.stop().catch(() => undefined);
    return 1;
  }
  // Keep running until a signal handler exits the process.
  return new Promise<number>(() => undefined);
}

async function call(
  config: BridgeConfig,
  logger: Logger,
  rest: string[],
  values: { arg?: string[]; server?: string; topic?: string; 'version-cap'?: string; timeout?: string },
): Promise<number> {
  const [method] = rest;
  if (!method) {
    process.stderr.write('nova-docker-bridge call: METHOD is required\n');
    return 2;
  }
  const args: Record<string, unknown> = {};
  for (const a of values.arg ?? []) {
    const eq = a.indexOf('=');
    if (eq <= 0) {
      process.stderr.write(`nova-docker-bridge call: --arg must be KEY=JSON, got "${a}"\n`);
      return 2;
    }
    const raw = a.slice(eq + 1);
    try {
      args[a.slice(0, eq)] = JSON.parse(raw);
    } catch {
      args[a.slice(0, eq)] = raw;
    }
  }
  const timeoutS = values.timeout !== undefined ? Number(values.timeout) : config.DEFAULT.rpc_response_timeout;
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) {
    process.stderr.write(`nova-docker-bridge call: --timeout must be a positive number\n`);
    return 2;
  }
  const bus = busFromConfig(config, logger);
  const client = new RpcClient({
    bus,
    exchange: config.DEFAULT.control_exchange,
    topic: values.topic ?? config.bridge.topic,
    server: values.server ?? config.DEFAULT.host,
    version: values['version-cap'] ?? '1.0',
    timeoutMs: timeoutS * 1000,
    flags: topologyFlags(config),
    logger,
  });
  try {
    await bus.start(AbortSignal.timeout(timeoutS * 1000));
    const result = await client.call(method, args);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof RemoteRpcError) process.stderr.write(`${err.remoteModule}.${err.remoteClass}: ${err.remoteMessage}\n`);
    else process.stderr.write(`nova-docker-bridge call: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await client.close();
    await bus.close();
  }
}

function redacted(config: BridgeConfig): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [section, def] of Object.entries(CONFIG_DEFS)) {
    const values = (config as unknown as Record<string, Record<string, unknown>>)[section] ?? {};
    out[section] = {};
    for (const [key, opt] of Object.entries(def.options)) {
      const v = values[key];
      out[section][key] = key === 'transport_url' && typeof v === 'string' ? redactTransportUrl(v) : opt.secret && v ? '***' : v;
    }
  }
  return out;
}

async function packageVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const url = new URL('../../package.json', import.meta.url);
  // Both src/cli and dist/src/cli resolve: try two levels up, then three.
  for (const candidate of [url, new URL('../../../package.json', import.meta.url)]) {
    try {
      return (JSON.parse(await readFile(candidate, 'utf8')) as { version: string }).version;
    } catch {
      // try the next layout
    }
  }
  return 'unknown';
}
