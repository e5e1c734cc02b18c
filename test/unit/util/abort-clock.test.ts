import { describe, expect, it } from 'vitest';
import { isBridgeError } from '../../../src/errors/bridge-error.js';
import { abortError, raceAbort, throwIfAborted, withDeadline } from '../../../src/util/abort.js';
import { systemClock } from '../../../src/util/clock.js';

describe('abort helpers', () => {
  it('timeout vs cancellation', async () => {
    const t = AbortSignal.timeout(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(abortError(t, 'x').code).toBe('ERR_TIMEOUT');
    const ac = new AbortController();
    ac.abort();
    expect(abortError(ac.signal, 'x').code).toBe('ERR_ABORTED');
    expect(() => throwIfAborted(ac.signal, 'op')).toThrow('op: cancelled');
    expect(() => throwIfAborted(undefined, 'op')).not.toThrow();
  });

  it('withDeadline follows the parent and its own deadline', async () => {
    const parent = new AbortController();
    const s = withDeadline(parent.signal, Infinity);
    expect(s.aborted).toBe(false);
    parent.abort();
    expect(s.aborted).toBe(true);
    const d = withDeadline(undefined, 5);
    await new Promise((r) => setTimeout(r, 30));
    expect(d.aborted).toBe(true);
    expect(abortError(d, 'x').code).toBe('ERR_TIMEOUT');
  });

  it('raceAbort rejects early but lets the promise run', async () => {
    const ac = new AbortController();
    let finished = false;
    const slow = new Promise<string>((r) =>
      setTimeout(() => {
        finished = true;
        r('done');
      }, 30),
    );
    const raced = raceAbort(slow, ac.signal, 'slow thing');
    ac.abort();
    expect(isBridgeError(await raced.catch((e: unknown) => e), 'ERR_ABORTED')).toBe(true);
    expect(await slow).toBe('done');
    expect(finished).toBe(true);
    expect(await raceAbort(Promise.resolve(1), undefined, 'x')).toBe(1);
  });

  it('systemClock.sleep waits and is cancellable', async () => {
    const t0 = systemClock.now();
    await systemClock.sleep(20);
    expect(systemClock.now() - t0).toBeGreaterThanOrEqual(15);
    const ac = new AbortController();
    const p = systemClock.sleep(10_000, ac.signal);
    ac.abort();
    expect(isBridgeError(await p.catch((e: unknown) => e), 'ERR_ABORTED')).toBe(true);
  });
});
