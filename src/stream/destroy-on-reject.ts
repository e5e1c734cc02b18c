/**
 * Ties a stream to the promise of whoever is to consume it. A consumer can
 * fail before it reads a byte (no token, Docker down, an aborted signal); if
 * nobody then destroys the stream, the pipeline feeding it waits forever and
 * the clean-up behind that pipeline never runs.
 */
import type { Readable } from 'node:stream';

/** `consumer`, which when it rejects first destroys `stream` with the same error. */
export function destroyOnReject<T>(consumer: Promise<T>, stream: Readable): Promise<T> {
  return consumer.catch((err: unknown) => {
    if (!stream.destroyed) stream.destroy(err instanceof Error ? err : new Error(String(err)));
    throw err;
  });
}
