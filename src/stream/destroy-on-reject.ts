/**
 * Ties a stream to the promise of whoever is to consume it. A consumer can
 * fail before it reads a byte (no token, Docker down, an aborted signal); if
 * nobody then destroys the stream, the pipeline feeding it waits forever and
 * the clean-up behind that pipeline never runs.
 */
import type { Readable } from 'node:stream';

/**
 * Destroys a stream its consumer gave up on, with the consumer's error so a
 * pipeline feeding it reports the real cause. Without an 'error' listener it
 * is destroyed without one: an 'error' nobody listens to would crash the process.
 */
export function releaseStream(stream: Readable, err: unknown): void {
  if (stream.destroyed) return;
  if (stream.listenerCount('error') === 0) stream.destroy();
  else stream.destroy(err instanceof Error ? err : new Error(String(err)));
}

/** `consumer`, which when it rejects first releases `stream` ({@link releaseStream}). */
export function destroyOnReject<T>(consumer: Promise<T>, stream: Readable): Promise<T> {
  return consumer.catch((err: unknown) => {
    releaseStream(stream, err);
    throw err;
  });
}
