/**
 * The compute driver as an RPC endpoint: one method per Nova driver method
 * (namespace null, version 1.0), each validating its arguments before the
 * driver sees them. Results are plain JSON (docs/bus-api.md).
 *
 * Failures keep their BridgeError code and gain `details.operation` (the
 * method name), which novaFailureMapper uses to pick the Nova exception class.
 */
import { BridgeError, toBridgeError } from '../errors/bridge-error.js';
import type { Logger } from '../log/logger.js';
import type { RequestContext, RpcEndpoint, RpcMethod } from '../rpc/rpc-endpoint.js';
import type { DockerComputeDriver } from './docker-compute-driver.js';
import {
  parseAvailableResourceArgs,
  parseInitHostArgs,
  parseInstanceArgs,
  parseLiveResizeArgs,
  parseNoArgs,
  parsePowerOffArgs,
  parseRebootArgs,
  parseSnapshotArgs,
  parseSpawnArgs,
} from './payloads.js';

export const COMPUTE_ENDPOINT_VERSION = '1.0';

/** Method names served, in the order docs/bus-api.md lists them. */
export const COMPUTE_METHODS = [
  'init_host',
  'spawn',
  'destroy',
  'reboot',
  'power_off',
  'power_on',
  'pause',
  'unpause',
  'suspend',
  'resume',
  'live_resize',
  'snapshot',
  'get_info',
  'instance_exists',
  'list_instances',
  'list_instance_uuids',
  'get_console_output',
  'get_host_uptime',
  'get_available_resource',
] as const;

export type ComputeMethod = (typeof COMPUTE_METHODS)[number];

function withOperation(err: unknown, operation: string): BridgeError {
  const e = toBridgeError(err);
  if (e.details.operation === operation) return e;
  return new BridgeError(e.code, e.message, { cause: e.cause ?? e, details: { ...e.details, operation } });
}

export function createComputeEndpoint(driver: DockerComputeDriver, logger: Logger): RpcEndpoint {
  const method =
    <A>(name: ComputeMethod, parse: (raw: unknown) => A, run: (a: A, signal: AbortSignal, ctx: RequestContext) => unknown): RpcMethod =>
    async (ctx: RequestContext, args: Record<string, unknown>, signal: AbortSignal) => {
      const log = logger.child({ request_id: ctx.requestId, method: name });
      try {
        const parsed = parse(args);
        const result = await run(parsed, signal, ctx);
        return result === undefined ? null : result;
      } catch (err) {
        const e = withOperation(err, name);
        if (e.fault === 'server') log.error('driver call failed', { code: e.code, err: e.message });
        else log.info('driver call refused', { code: e.code, err: e.message });
        throw e;
      }
    };

  const methods: Record<ComputeMethod, RpcMethod> = {
    // init_host returns None in Nova; the report is logged by the driver.
    init_host: method('init_host', parseInitHostArgs, async (a, s) => {
      await driver.init_host(a, s);
      return null;
    }),
    spawn: method('spawn', parseSpawnArgs, (a, s, ctx) => driver.spawn(a, s, ctx)),
    destroy: method('destroy', parseInstanceArgs, (a, s) => driver.destroy(a, s)),
    reboot: method('reboot', parseRebootArgs, (a, s) => driver.reboot(a, s)),
    power_off: method('power_off', parsePowerOffArgs, (a, s) => driver.power_off(a, s)),
    power_on: method('power_on', parseInstanceArgs, (a, s) => driver.power_on(a, s)),
    pause: method('pause', parseInstanceArgs, (a, s) => driver.pause(a, s)),
    unpause: method('unpause', parseInstanceArgs, (a, s) => driver.unpause(a, s)),
    suspend: method('suspend', parseInstanceArgs, (a, s) => driver.suspend(a, s)),
    resume: method('resume', parseInstanceArgs, (a, s) => driver.resume(a, s)),
    live_resize: method('live_resize', parseLiveResizeArgs, (a, s) => driver.live_resize(a, s)),
    snapshot: method('snapshot', parseSnapshotArgs, (a, s, ctx) => driver.snapshot(a, s, ctx)),
    get_info: method('get_info', parseInstanceArgs, (a, s) => driver.get_info(a, s)),
    instance_exists: method('instance_exists', parseInstanceArgs, (a, s) => driver.instance_exists(a, s)),
    list_instances: method('list_instances', parseNoArgs, (_a, s) => driver.list_instances(s)),
    list_instance_uuids: method('list_instance_uuids', parseNoArgs, (_a, s) => driver.list_instance_uuids(s)),
    get_console_output: method('get_console_output', parseInstanceArgs, (a, s) => driver.get_console_output(a, s)),
    get_host_uptime: method('get_host_uptime', parseNoArgs, () => driver.get_host_uptime()),
    get_available_resource: method('get_available_resource', parseAvailableResourceArgs, (a, s) => driver.get_available_resource(a, s)),
  };
  return { namespace: null, version: COMPUTE_ENDPOINT_VERSION, methods };
}
