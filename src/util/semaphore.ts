/**
 * A counting semaphore with FIFO fairness: bounds how many operations run against
 * the Docker Engine at once, so a burst of Nova requests cannot overload it.
 */
import { abortError } from './abort.js';

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

export class Semaphore {
  private available: number;
  private readonly queue: Waiter[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`semaphore size must be a positive integer, got ${size}`);
    this.available = size;
  }

  /** Slots in use. */
  get inUse(): number {
    return this.size - this.available;
  }

  /** Operations waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Runs `fn` holding one slot. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private acquire(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal, 'waiting for an operation slot'));
    if (this.available > 0) {
      this.available -= 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          reject(abortError(signal as AbortSignal, 'waiting for an operation slot'));
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) {
      // Hand the slot over directly: `available` stays unchanged.
      next.signal?.removeEventListener('abort', next.onAbort);
      next.resolve();
    } else {
      this.available += 1;
    }
  }
}
