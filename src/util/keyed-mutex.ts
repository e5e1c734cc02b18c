/**
 * Serializes work per key (an instance UUID) while different keys run freely.
 * Nova holds a per-instance lock around most operations; a caller that timed out
 * and retried must not run concurrently with its own first attempt here either.
 */
import { raceAbort } from './abort.js';

export class KeyedMutex {
  /** key → promise that settles when the last queued holder releases. */
  private readonly tails = new Map<string, Promise<void>>();

  /** Number of keys with a holder or waiters (for tests and metrics). */
  get activeKeys(): number {
    return this.tails.size;
  }

  /**
   * Runs `fn` once every earlier holder of `key` has finished. If `signal` aborts
   * while waiting, rejects without running `fn` and without disturbing the queue.
   */
  async run<T>(key: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The next holder waits for both: ours and everything before us.
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    try {
      await raceAbort(previous, signal, `waiting for the lock on ${key}`);
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
