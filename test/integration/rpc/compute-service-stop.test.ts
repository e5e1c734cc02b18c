/**
 * ComputeService.stop on the real RabbitMQ: the afterDrain clean-up (the undo
 * of a failed image download left running in the background) runs after the
 * server stopped consuming and before the bus closes, and a failing clean-up
 * still lets the service stop.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { silentLogger } from '../../../src/log/logger.js';
import { busFromConfig } from '../../../src/rpc/bus-from-config.js';
import type { Bus } from '../../../src/rpc/bus.js';
import { ComputeService } from '../../../src/service/compute-service.js';
import { TRANSPORT_URL, uniqueName } from '../../helpers/services.js';

function serviceWith(afterDrain: () => Promise<void>, events: string[]): ComputeService {
  const config = loadConfig([], { overrides: { DEFAULT: { host: uniqueName('stop'), transport_url: TRANSPORT_URL, graceful_shutdown_timeout: '5' } } });
  const real = busFromConfig(config, silentLogger);
  // The real bus, with its close observed.
  const bus = new Proxy(real, {
    get(target, key) {
      if (key === 'close') {
        return async () => {
          events.push('bus closed');
          await target.close();
        };
      }
      const v = Reflect.get(target, key) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as Bus;
  return new ComputeService({ config, logger: silentLogger, endpoints: [], bus, afterDrain });
}

describe('ComputeService.stop', () => {
  it('waits for afterDrain before closing the bus', async () => {
    const events: string[] = [];
    const service = serviceWith(async () => {
      await new Promise((r) => setTimeout(r, 200));
      events.push('clean-up done');
    }, events);
    await service.start();
    await service.stop();
    expect(events).toEqual(['clean-up done', 'bus closed']);
  });

  it('still closes the bus when afterDrain fails', async () => {
    const events: string[] = [];
    const service = serviceWith(async () => {
      events.push('clean-up failed');
      throw new Error('Engine unreachable');
    }, events);
    await service.start();
    await expect(service.stop()).resolves.toBeUndefined();
    expect(events).toEqual(['clean-up failed', 'bus closed']);
  });
});
