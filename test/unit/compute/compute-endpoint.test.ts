import { describe, expect, it } from 'vitest';
import { COMPUTE_METHODS, createComputeEndpoint } from '../../../src/compute/compute-endpoint.js';
import type { DockerComputeDriver } from '../../../src/compute/docker-compute-driver.js';
import { BridgeError, isBridgeError } from '../../../src/errors/bridge-error.js';
import { silentLogger } from '../../../src/log/logger.js';
import type { RequestContext } from '../../../src/rpc/rpc-endpoint.js';

const UUID = '0b6c2d5e-1111-4e2b-8c55-3a2d1c0e9f00';
const ctx: RequestContext = { values: {}, requestId: 'req-1', authToken: undefined, clientTimeout: null };
const signal = new AbortController().signal;

/** Records calls; answers with canned values. A unit-test double for the endpoint's wiring only. */
function recordingDriver(): { driver: DockerComputeDriver; calls: Array<[string, unknown]> } {
  const calls: Array<[string, unknown]> = [];
  const answer: Record<string, unknown> = {
    init_host: { engineVersion: '20.10', apiVersion: '1.41', reconcile: {} },
    get_info: { state: 1, internal_id: 'abc' },
    instance_exists: true,
    list_instances: ['instance-1'],
    list_instance_uuids: [UUID],
    get_console_output: 'log',
    get_host_uptime: ' up',
    get_available_resource: { vcpus: 2 },
  };
  const driver = new Proxy(
    {},
    {
      get: (_t, name: string) => (arg: unknown) => {
        calls.push([name, arg instanceof AbortSignal ? undefined : arg]);
        if (name === 'power_on') return Promise.reject(new BridgeError('ERR_DOCKER', 'engine failed'));
        return Promise.resolve(answer[name]);
      },
    },
  ) as unknown as DockerComputeDriver;
  return { driver, calls };
}

describe('createComputeEndpoint', () => {
  it('serves every Nova driver method at version 1.0 without a namespace', () => {
    const ep = createComputeEndpoint(recordingDriver().driver, silentLogger);
    expect(ep.version).toBe('1.0');
    expect(ep.namespace).toBeNull();
    expect(Object.keys(ep.methods).sort()).toEqual([...COMPUTE_METHODS].sort());
  });

  it.each([
    ['spawn', { instance: { uuid: UUID } }, /instance\.flavor is required/],
    ['destroy', { instance: {} }, /instance\.uuid must be a string/],
    ['reboot', { instance: { uuid: UUID }, reboot_type: 'WARM' }, /reboot_type must be "SOFT" or "HARD"/],
    ['power_off', { instance: { uuid: UUID }, timeout: 'soon' }, /timeout must be an integer/],
    ['live_resize', { instance: { uuid: UUID }, flavor: { vcpus: 1 } }, /flavor\.memory_mb must be an integer/],
    ['get_info', {}, /instance must be an object/],
    ['init_host', {}, /host must be a string/],
    ['snapshot', { instance: { uuid: UUID } }, /image_id must be a string/],
  ])('%s validates before the driver sees anything', async (name, args, message) => {
    const { driver, calls } = recordingDriver();
    const ep = createComputeEndpoint(driver, silentLogger);
    const err = await Promise.resolve(ep.methods[name]?.(ctx, args, signal)).catch((e: unknown) => e);
    expect(isBridgeError(err, 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(message);
    expect((err as BridgeError).details.operation).toBe(name);
    expect(calls).toEqual([]);
  });

  it('passes parsed arguments and returns JSON results (None for void methods)', async () => {
    const { driver, calls } = recordingDriver();
    const ep = createComputeEndpoint(driver, silentLogger);
    expect(await ep.methods.get_info?.(ctx, { instance: { uuid: UUID.toUpperCase() }, use_cache: true }, signal)).toEqual({ state: 1, internal_id: 'abc' });
    expect(await ep.methods.destroy?.(ctx, { instance: { uuid: UUID }, network_info: [], destroy_disks: true }, signal)).toBeNull();
    expect(await ep.methods.init_host?.(ctx, { host: 'cmp1' }, signal)).toBeNull();
    expect(await ep.methods.list_instance_uuids?.(ctx, {}, signal)).toEqual([UUID]);
    expect(await ep.methods.get_host_uptime?.(ctx, {}, signal)).toBe(' up');
    expect(calls[0]).toEqual(['get_info', { instance: expect.objectContaining({ uuid: UUID }) }]);
  });

  it('tags driver failures with the method name for the failure mapper', async () => {
    const ep = createComputeEndpoint(recordingDriver().driver, silentLogger);
    const err = await Promise.resolve(ep.methods.power_on?.(ctx, { instance: { uuid: UUID } }, signal)).catch((e: unknown) => e);
    expect(isBridgeError(err, 'ERR_DOCKER')).toBe(true);
    expect((err as BridgeError).details.operation).toBe('power_on');
    expect((err as Error).message).toBe('engine failed');
  });
});
