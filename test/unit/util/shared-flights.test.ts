import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/errors/bridge-error.js';
import { SharedFlights } from '../../../src/util/shared-flights.js';

/** A run that resolves with `value` after `ms`, or rejects with ERR_ABORTED when its signal fires. */
function slow(value: string, ms: number, runs: AbortSignal[]): (signal: AbortSignal) => Promise<string> {
  return (signal) => {
    runs.push(signal);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => resolve(value), ms);
      signal.addEventListener('abort', () => {
        clearTimeout(t);
        reject(new BridgeError('ERR_ABORTED', 'run cancelled'));
      });
    });
  };
}

const outcome = (p: Promise<string>): Promise<string> => p.then((v) => `ok:${v}`, (e: unknown) => `err:${(e as BridgeError).code}`);

describe('SharedFlights', () => {
  it('concurrent callers of one key share one run; other keys run on their own', async () => {
    const f = new SharedFlights<string, string>();
    const runs: AbortSignal[] = [];
    let joined = 0;
    const all = await Promise.all([
      f.run('a', slow('A', 20, runs), undefined, 'a'),
      f.run('a', slow('A2', 20, runs), undefined, 'a', () => joined++),
      f.run('b', slow('B', 20, runs), undefined, 'b'),
    ]);
    expect(all).toEqual(['A', 'A', 'B']);
    expect(runs).toHaveLength(2);
    expect(joined).toBe(1);
    expect(f.size).toBe(0);
  });

  it('one caller giving up does not cancel the run for the others', async () => {
    const f = new SharedFlights<string, string>();
    const runs: AbortSignal[] = [];
    const ac = new AbortController();
    const a = outcome(f.run('k', slow('V', 40, runs), ac.signal, 'a'));
    const b = outcome(f.run('k', slow('X', 40, runs), undefined, 'b'));
    setTimeout(() => ac.abort(), 5);
    expect(await Promise.all([a, b])).toEqual(['err:ERR_ABORTED', 'ok:V']);
    expect(runs[0]?.aborted).toBe(false);
  });

  it('the run is cancelled when every caller gave up', async () => {
    const f = new SharedFlights<string, string>();
    const runs: AbortSignal[] = [];
    const ac1 = new AbortController();
    const ac2 = new AbortController();
    const a = outcome(f.run('k', slow('V', 1000, runs), ac1.signal, 'a'));
    const b = outcome(f.run('k', slow('V', 1000, runs), ac2.signal, 'b'));
    ac1.abort();
    ac2.abort();
    expect(await Promise.all([a, b])).toEqual(['err:ERR_ABORTED', 'err:ERR_ABORTED']);
    expect(runs).toHaveLength(1);
    expect(runs[0]?.aborted).toBe(true);
  });

  it('a caller arriving while a run is being cancelled gets a fresh run, not the cancellation', async () => {
    const f = new SharedFlights<string, string>();
    const runs: AbortSignal[] = [];
    // The cancelled run takes a while to settle (its clean-up), as a download does.
    const lingering = (signal: AbortSignal): Promise<string> => {
      runs.push(signal);
      return new Promise((_resolve, reject) => signal.addEventListener('abort', () => setTimeout(() => reject(new BridgeError('ERR_ABORTED', 'cancelled')), 30)));
    };
    const ac = new AbortController();
    const a = outcome(f.run('k', lingering, ac.signal, 'a'));
    ac.abort();
    const b = outcome(f.run('k', slow('fresh', 5, runs), undefined, 'b'));
    expect(await Promise.all([a, b])).toEqual(['err:ERR_ABORTED', 'ok:fresh']);
    expect(runs).toHaveLength(2);
    expect(f.size).toBe(0);
  });
});
