/**
 * One run of a piece of work shared by every concurrent caller that asks for
 * the same key (one download per image, one Keystone login per session). The
 * run has its own AbortSignal: it is cancelled only when every caller waiting
 * for it gave up, so one cancelled spawn never fails the others. A caller
 * that arrives while a run is being cancelled waits for that run to settle
 * and starts a fresh one, rather than inheriting the cancellation or racing
 * the cancelled run's clean-up.
 */
import { raceAbort } from './abort.js';

interface Flight<T> {
  readonly promise: Promise<T>;
  readonly controller: AbortController;
  waiters: number;
}

export class SharedFlights<K, T> {
  private readonly flights = new Map<K, Flight<T>>();

  /** Runs in progress. */
  get size(): number {
    return this.flights.size;
  }

  /**
   * The outcome of the run for `key`, starting `start` when there is none.
   * `signal` only stops this caller's wait (rejecting with ERR_ABORTED naming
   * `what`); `onJoin` is told when an existing run was joined.
   */
  async run(key: K, start: (signal: AbortSignal) => Promise<T>, signal: AbortSignal | undefined, what: string, onJoin?: () => void): Promise<T> {
    for (;;) {
      const existing = this.flights.get(key);
      if (existing === undefined) break;
      if (!existing.controller.signal.aborted) {
        onJoin?.();
        return this.join(existing, signal, what);
      }
      await raceAbort(
        existing.promise.then(
          () => undefined,
          () => undefined,
        ),
        signal,
        what,
      );
    }
    const controller = new AbortController();
    const promise = start(controller.signal).finally(() => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    });
    // Waiters handle the outcome; this keeps a rejection nobody waits for anymore from being "unhandled".
    promise.catch(() => undefined);
    const flight: Flight<T> = { promise, controller, waiters: 0 };
    this.flights.set(key, flight);
    return this.join(flight, signal, what);
  }

  private async join(flight: Flight<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
    flight.waiters++;
    let left = false;
    const leave = (): void => {
      if (left) return;
      left = true;
      flight.waiters--;
      if (flight.waiters === 0 && signal?.aborted) flight.controller.abort(signal.reason);
    };
    signal?.addEventListener('abort', leave, { once: true });
    try {
      return await raceAbort(flight.promise, signal, what);
    } finally {
      signal?.removeEventListener('abort', leave);
      leave();
    }
  }
}
