/**
 * AbortSignal helpers. Every long operation takes a signal; these turn an abort
 * into the project's error taxonomy so callers see ERR_TIMEOUT (a deadline ran
 * out) apart from ERR_ABORTED (someone cancelled, e.g. shutdown).
 */
import { BridgeError } from '../errors/bridge-error.js';

/** True when the signal was aborted by `AbortSignal.timeout()` (reason is a TimeoutError). */
export function abortedByTimeout(signal: AbortSignal): boolean {
  const reason: unknown = signal.reason;
  return reason instanceof Error && reason.name === 'TimeoutError';
}

/** The BridgeError that describes why `signal` aborted. */
export function abortError(signal: AbortSignal, what: string): BridgeError {
  return abortedByTimeout(signal)
    ? new BridgeError('ERR_TIMEOUT', `${what}: deadline exceeded`, { cause: signal.reason })
    : new BridgeError('ERR_ABORTED', `${what}: cancelled`, { cause: signal.reason });
}

/** Throws the matching BridgeError when `signal` is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortError(signal, what);
}

/**
 * A signal that aborts when `parent` aborts or after `ms` milliseconds, whichever
 * comes first. `ms` of Infinity means no deadline.
 */
export function withDeadline(parent: AbortSignal | undefined, ms: number): AbortSignal {
  const signals: AbortSignal[] = [];
  if (parent) signals.push(parent);
  if (Number.isFinite(ms)) signals.push(AbortSignal.timeout(Math.max(0, Math.ceil(ms))));
  if (signals.length === 0) return new AbortController().signal;
  if (signals.length === 1) return signals[0] as AbortSignal;
  return AbortSignal.any(signals);
}

/** Resolves with `promise`, or rejects as soon as `signal` aborts (the promise keeps running). */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal, what));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal, what));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
