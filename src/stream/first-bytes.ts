/**
 * Waits until a source has its first bytes (or has ended empty) without
 * consuming them. `docker save` and a pipe can take minutes before the first
 * byte of a large image; an import waits for it before it creates anything in
 * Glance, so a slow producer is not mistaken for a stalled upload and empty
 * input creates nothing.
 */
import type { Readable } from 'node:stream';
import { abortError } from '../util/abort.js';

/** True when data is there to read, false when the stream ended without any. */
export function waitForFirstBytes(stream: Readable, signal?: AbortSignal, what = 'waiting for the input'): Promise<boolean> {
  if (stream.readableLength > 0) return Promise.resolve(true);
  if (stream.readableEnded) return Promise.resolve(false);
  if (stream.destroyed) return Promise.reject(stream.errored ?? new Error('the input stream was closed'));
  return new Promise<boolean>((resolve, reject) => {
    const cleanup = (): void => {
      stream.off('readable', onReadable);
      stream.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    // 'readable' fires once data is buffered, or at the end: then nothing is buffered.
    const onReadable = (): void => {
      cleanup();
      resolve(stream.readableLength > 0);
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onAbort = (): void => {
      cleanup();
      reject(abortError(signal as AbortSignal, what));
    };
    if (signal?.aborted) {
      onAbort();
      return;
    }
    stream.on('readable', onReadable);
    stream.on('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
