/**
 * The HTTP port the OpenStack clients (Keystone, Glance) talk through.
 *
 * Narrow on purpose: one request, one answer, with bodies either small JSON
 * (parsed, size-bounded) or streams (never buffered). The adapter
 * (axios-http-client.ts) owns the transport details; every non-2xx answer and
 * every transport failure reaches callers as a BridgeError made by
 * translate-openstack-error.ts.
 */
import type { Readable } from 'node:stream';
import type { ErrorCode } from '../errors/bridge-error.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Which OpenStack service a request goes to; named in error messages. */
export type OpenStackService = 'glance' | 'keystone';

/** A request body. */
export type HttpBody =
  | { readonly kind: 'json'; readonly value: unknown; readonly contentType?: string }
  | {
      readonly kind: 'stream';
      readonly stream: Readable;
      readonly contentType: string;
      /** Sent as Content-Length when known; otherwise the body goes chunked. */
      readonly length?: number;
    };

export interface HttpRequest {
  readonly method: HttpMethod;
  /** Absolute URL (query parameters may be included or given in `query`). */
  readonly url: string;
  readonly query?: Readonly<Record<string, string | number | readonly string[]>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: HttpBody;
  /** json: the body is parsed (bounded); stream: handed over unread; none: drained and dropped. */
  readonly response: 'json' | 'stream' | 'none';
  /** What the call does, for messages: "upload image data for 1234…". */
  readonly operation: string;
  readonly service: OpenStackService;
  /** The error code of a 404 (e.g. ERR_IMAGE_NOT_FOUND on image calls). Default ERR_GLANCE / ERR_CONFIG_INVALID by service. */
  readonly notFoundCode?: ErrorCode;
  /**
   * Abort when no byte moves in either direction for this long (milliseconds).
   * There is deliberately no whole-request timeout: a 4 GiB image takes as long
   * as it takes, but a connection that stopped moving is dead.
   */
  readonly stallTimeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  /** Header names lowercased. */
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON body (response: 'json'); null when the body was empty. */
  readonly json: unknown;
  /**
   * The body (response: 'stream'). The stall watchdog keeps running while it is
   * read: a consumer that stops reading for the stall timeout ends it with ERR_TIMEOUT.
   */
  readonly stream: Readable | null;
}

export interface HttpClient {
  /** Sends the request. Resolves on 2xx; any other status or transport failure rejects with a BridgeError. */
  request(req: HttpRequest): Promise<HttpResponse>;
}
