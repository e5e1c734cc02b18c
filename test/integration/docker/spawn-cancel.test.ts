/**
 * A spawn cancelled at any moment leaves nothing: no container (even one the
 * Engine finishes creating after the cancellation), no state directory. Or it
 * won the race and the instance runs. Real dockerd.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInstanceArgs, parseSpawnArgs } from '../../../src/compute/payloads.js';
import { POWER_STATE } from '../../../src/compute/power-state.js';
import { LABEL_MANAGED_BY } from '../../../src/compute/translate/labels.js';
import { createDriverEnv, spawnPayload, type DriverEnv } from './driver-test-env.js';

let env: DriverEnv;
beforeAll(() => {
  env = createDriverEnv();
});
afterAll(async () => {
  await env.cleanup();
});

async function containersNamed(name: string): Promise<number> {
  const cs = await env.docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL_MANAGED_BY}=${env.host}`], name: [`^/${name}$`] }) });
  return cs.length;
}

describe('cancelled spawns', () => {
  it('cancelled after 0..95 ms: either nothing is left, or the spawn completed', async () => {
    let cancelled = 0;
    for (let delay = 0; delay < 100; delay += 5) {
      const args = parseSpawnArgs(spawnPayload());
      const ac = new AbortController();
      const p = env.driver.spawn(args, ac.signal);
      setTimeout(() => ac.abort(), delay);
      const err = await p.then(
        () => null,
        (e: unknown) => e,
      );
      const name = `nova-${args.instance.uuid}`;
      if (err === null) {
        expect((await env.driver.get_info(parseInstanceArgs({ instance: { uuid: args.instance.uuid } }))).state).toBe(POWER_STATE.RUNNING);
        await env.driver.destroy(parseInstanceArgs({ instance: { uuid: args.instance.uuid } }));
      } else {
        cancelled++;
        expect(err).toMatchObject({ code: expect.stringMatching(/^ERR_(ABORTED|DEPLOY_FAILED)$/) });
      }
      // A create the Engine completes late would show up here a moment later.
      await new Promise((r) => setTimeout(r, 300));
      expect(await containersNamed(name), `after a cancel at ${delay} ms`).toBe(0);
      expect(existsSync(path.join(env.stateDir, args.instance.uuid))).toBe(false);
    }
    expect(cancelled).toBeGreaterThan(0);
  }, 120_000);
});
