import { describe, expect, it } from 'vitest';
import { isBridgeError } from '../../../src/errors/bridge-error.js';
import { KeyedMutex } from '../../../src/util/keyed-mutex.js';
import { Semaphore } from '../../../src/util/semaphore.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('KeyedMutex', () => {
  it('serializes one key in arrival order; other keys run at once', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    const gate = deferred();
    const a1 = m.run('a', async () => {
      log.push('a1 start');
      await gate.promise;
      log.push('a1 end');
    });
    const a2 = m.run('a', async () => void log.push('a2'));
    const a3 = m.run('a', async () => void log.push('a3'));
    const b = m.run('b', async () => void log.push('b'));
    await b;
    await tick();
    expect(log).toEqual(['a1 start', 'b']);
    gate.resolve();
    await Promise.all([a1, a2, a3]);
    expect(log).toEqual(['a1 start', 'b', 'a1 end', 'a2', 'a3']);
    expect(m.activeKeys).toBe(0);
  });

  it('a failing holder releases the lock', async () => {
    const m = new KeyedMutex();
    await expect(m.run('k', async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await m.run('k', async () => 42)).toBe(42);
  });

  it('a waiter that is cancelled never runs and does not break the queue', async () => {
    const m = new KeyedMutex();
    const gate = deferred();
    const log: string[] = [];
    const first = m.run('k', async () => {
      await gate.promise;
      log.push('first');
    });
    const ac = new AbortController();
    const cancelled = m.run('k', async () => void log.push('cancelled ran'), ac.signal);
    const third = m.run('k', async () => void log.push('third'));
    ac.abort();
    const err = await cancelled.catch((e: unknown) => e);
    expect(isBridgeError(err, 'ERR_ABORTED')).toBe(true);
    await tick();
    expect(log).toEqual([]); // third still waits for first
    gate.resolve();
    await Promise.all([first, third]);
    expect(log).toEqual(['first', 'third']);
  });
});

describe('Semaphore', () => {
  it('bounds concurrency and hands slots over in FIFO order', async () => {
    const s = new Semaphore(2);
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      s.run(async () => {
        started.push(i);
        await g.promise;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect(s.inUse).toBe(2);
    expect(s.waiting).toBe(2);
    gates[1]?.resolve();
    await tick();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    gates[0]?.resolve();
    gates[2]?.resolve();
    gates[3]?.resolve();
    await Promise.all(runs);
    expect(started).toEqual([0, 1, 2, 3]);
    expect(s.inUse).toBe(0);
  });

  it('a cancelled waiter leaves the queue; a deadline is a timeout', async () => {
    const s = new Semaphore(1);
    const gate = deferred();
    const holder = s.run(() => gate.promise);
    const ac = new AbortController();
    const waiter = s.run(async () => 'ran', ac.signal);
    await tick();
    expect(s.waiting).toBe(1);
    ac.abort();
    expect(isBridgeError(await waiter.catch((e: unknown) => e), 'ERR_ABORTED')).toBe(true);
    expect(s.waiting).toBe(0);
    const timed = await s.run(async () => 'ran', AbortSignal.timeout(10)).catch((e: unknown) => e);
    expect(isBridgeError(timed, 'ERR_TIMEOUT')).toBe(true);
    gate.resolve();
    await holder;
    expect(await s.run(async () => 'free')).toBe('free');
  });

  it('refuses a size below 1', () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});
