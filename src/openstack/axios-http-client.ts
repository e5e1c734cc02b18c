/**
 * The HttpClient adapter over axios: the only file of the OpenStack clients
 * that knows axios.
 *
 * Settings that matter for multi-GiB image bodies (measured, see
 * docs/glance.md and the research baselines):
 * - `maxRedirects: 0`: with redirects enabled axios routes the body through
 *   follow-redirects, which keeps a copy of everything sent so it can replay it
 *   (1 GiB upload → 1.09 GiB RSS). Redirects are answered with an error instead.
 * - `maxBodyLength`/`maxContentLength: Infinity`, `timeout: 0`: no size caps
 *   and no whole-request deadline; a {@link StallWatchdog} aborts a transfer on
 *   which nothing moved for `stallTimeoutMs` instead.
 * - `responseType: 'stream'` always: JSON bodies are read here with a size
 *   bound, image bodies are handed over unread.
 * - `Accept: application/json`: Glance's error bodies are HTML otherwise
 *   (axios's default Accept still gets HTML).
 */
import { createRequire } from 'node:module';
import { pipeline, type Readable } from 'node:stream';
import type { AxiosResponse, AxiosStatic } from 'axios';
import { BridgeError } from '../errors/bridge-error.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { abortError } from '../util/abort.js';
import { ByteTap } from '../stream/byte-tap.js';
import { ChunkCoalescer } from '../stream/chunk-coalescer.js';
import { StallWatchdog } from '../stream/stall-watchdog.js';
import type { HttpClient, HttpRequest, HttpResponse } from './http-client.js';
import { translateOpenStackStatus, translateOpenStackTransportError, type OpenStackCallContext } from './translate-openstack-error.js';

/** Options of {@link AxiosHttpClient}. */
export interface AxiosHttpClientOptions {
  /** Sent as User-Agent. */
  readonly userAgent?: string;
  /** Largest JSON body accepted (bytes); an image list page is far below. Default 32 MiB. */
  readonly maxJsonBytes?: number;
  readonly logger?: Logger;
}

// axios's CommonJS bundle, not its ESM entry: one file instead of some sixty
// modules, ~45 ms less start-up for every glance-docker command (measured on
// node 20: 70 ms against 115-125 ms). Same code, same version.
const axios = createRequire(import.meta.url)('axios') as AxiosStatic;

/** Error bodies are only read this far: a message, not a download. */
const MAX_ERROR_BODY = 64 * 1024;

/** Builds the URL with `query` appended (arrays become repeated keys, as Glance's `tag` filter wants). */
export function buildUrl(url: string, query: HttpRequest['query']): string {
  if (query === undefined) return url;
  const u = new URL(url);
  for (const [key, value] of Object.entries(query)) {
    if (Array.isArray(value)) for (const v of value) u.searchParams.append(key, String(v));
    else u.searchParams.append(key, String(value));
  }
  return u.toString();
}

function withoutQuery(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

export class AxiosHttpClient implements HttpClient {
  private readonly userAgent: string;
  private readonly maxJsonBytes: number;
  private readonly log: Logger;

  constructor(options: AxiosHttpClientOptions = {}) {
    this.userAgent = options.userAgent ?? 'nova-docker-bridge';
    this.maxJsonBytes = options.maxJsonBytes ?? 32 * 1024 * 1024;
    this.log = options.logger ?? silentLogger;
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const url = buildUrl(req.url, req.query);
    const ctx: OpenStackCallContext = { operation: req.operation, service: req.service, url: withoutQuery(url), ...(req.notFoundCode ? { notFoundCode: req.notFoundCode } : {}) };
    if (req.signal?.aborted) throw abortError(req.signal, req.operation);

    const controller = new AbortController();
    let failure: BridgeError | null = null;
    // Every way the transfer can end early goes through here, so the first cause wins.
    const fail = (err: BridgeError): void => {
      if (failure !== null) return;
      failure = err;
      controller.abort(err);
      uploadTap?.destroy(err);
      downloadTap?.destroy(err);
    };
    const watchdog = new StallWatchdog(req.stallTimeoutMs, () =>
      fail(
        new BridgeError('ERR_TIMEOUT', `${req.operation}: no data moved for ${Math.round(req.stallTimeoutMs / 1000)} s (stall timeout); giving up`, {
          details: { operation: req.operation, service: req.service, stall_timeout_ms: req.stallTimeoutMs },
        }),
      ),
    );
    const onCallerAbort = (): void => {
      if (req.signal) fail(abortError(req.signal, req.operation));
    };
    req.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const cleanup = (): void => {
      watchdog.stop();
      req.signal?.removeEventListener('abort', onCallerAbort);
    };

    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': this.userAgent, ...req.headers };
    let data: string | Readable | undefined;
    let uploadTap: ByteTap | null = null;
    let downloadTap: ByteTap | null = null;
    let bodyError: unknown = null;
    if (req.body?.kind === 'json') {
      data = JSON.stringify(req.body.value);
      headers['Content-Type'] = req.body.contentType ?? 'application/json';
    } else if (req.body?.kind === 'stream') {
      const tap = new ByteTap(() => watchdog.kick());
      uploadTap = tap;
      // If the source fails (e.g. the archive inspector rejected the data), that
      // failure is the real reason the request died, not axios's "socket hang up".
      pipeline(req.body.stream, tap, (err) => {
        if (err && bodyError === null) bodyError = err;
      });
      data = tap;
      headers['Content-Type'] = req.body.contentType;
      if (req.body.length !== undefined) headers['Content-Length'] = String(req.body.length);
    }

    watchdog.start();
    let res: AxiosResponse<Readable>;
    try {
      res = await axios.request<Readable>({
        method: req.method,
        url,
        headers,
        data,
        responseType: 'stream',
        maxRedirects: 0,
        maxBodyLength: Infinity,
        maxContentLength: Infinity,
        timeout: 0,
        validateStatus: () => true,
        signal: controller.signal,
        // Our URLs carry their query already; keep axios from re-encoding it.
        paramsSerializer: { serialize: () => '' },
      });
    } catch (err) {
      cleanup();
      uploadTap?.destroy();
      throw this.rootCause(failure, bodyError, err, ctx);
    }

    const resHeaders = plainHeaders(res.headers as Record<string, unknown>);
    const requestId = resHeaders['x-openstack-request-id'];
    this.log.debug('openstack request', { service: req.service, method: req.method, url: ctx.url, status: res.status, openstack_request_id: requestId });
    const body = res.data;
    const kick = (): void => watchdog.kick();

    if (res.status < 200 || res.status >= 300) {
      // The service answered before taking all of the upload (415, 413…): stop sending.
      uploadTap?.destroy();
      let text = '';
      try {
        text = (await readBounded(body, MAX_ERROR_BODY, true, kick)).toString('utf8');
      } catch {
        // The message is a nicety; the status decides.
      }
      cleanup();
      if (failure !== null) throw failure;
      throw translateOpenStackStatus(res.status, resHeaders, text, ctx);
    }

    if (req.response === 'stream') {
      // A stall or abort from now on ends the body stream the caller reads. The socket
      // delivers 64 KiB at a time; the caller gets MiB chunks.
      const tap = new ByteTap(kick);
      const out = new ChunkCoalescer();
      downloadTap = tap;
      // `out` stays outside the pipeline: pipeline would destroy it with the raw socket error
      // before this callback could hand the caller the translated one.
      pipeline(body, tap, (err) => {
        cleanup();
        if (err) out.destroy(failure ?? translateOpenStackTransportError(err, ctx));
      });
      tap.pipe(out);
      // The caller dropping the stream (or reading it to its end) releases the connection.
      out.on('close', () => {
        cleanup();
        if (!tap.destroyed) tap.destroy();
      });
      return { status: res.status, headers: resHeaders, json: null, stream: out };
    }

    try {
      const raw = await readBounded(body, req.response === 'json' ? this.maxJsonBytes : Infinity, req.response === 'none', kick);
      if (failure !== null) throw failure;
      if (req.response === 'none' || raw.length === 0) return { status: res.status, headers: resHeaders, json: null, stream: null };
      try {
        return { status: res.status, headers: resHeaders, json: JSON.parse(raw.toString('utf8')) as unknown, stream: null };
      } catch (err) {
        throw new BridgeError('ERR_GLANCE', `${req.operation}: ${req.service === 'glance' ? 'Glance' : 'Keystone'} answered ${res.status} with a body that is not JSON`, {
          cause: err,
          details: { operation: req.operation, http_status: res.status },
        });
      }
    } catch (err) {
      throw this.rootCause(failure, null, err, ctx);
    } finally {
      cleanup();
    }
  }

  private rootCause(failure: BridgeError | null, bodyError: unknown, err: unknown, ctx: OpenStackCallContext): BridgeError {
    if (failure !== null) return failure;
    if (bodyError instanceof BridgeError) return bodyError;
    if (err instanceof BridgeError) return err;
    if (bodyError !== null && bodyError !== undefined) {
      return new BridgeError('ERR_GLANCE', `${ctx.operation}: reading the data to send failed: ${bodyError instanceof Error ? bodyError.message : String(bodyError)}`, {
        cause: bodyError,
      });
    }
    return translateOpenStackTransportError(err, ctx);
  }
}

function plainHeaders(h: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (typeof v === 'string') out[k.toLowerCase()] = v;
    else if (typeof v === 'number') out[k.toLowerCase()] = String(v);
    else if (Array.isArray(v)) out[k.toLowerCase()] = v.map(String).join(', ');
  }
  return out;
}

/**
 * Reads a body up to `max` bytes. Beyond that it either stops quietly
 * (`truncate`: error bodies) or fails (JSON that would not fit in memory safely).
 */
async function readBounded(stream: Readable, max: number, truncate: boolean, onChunk: () => void): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = chunk as Buffer;
    onChunk();
    if (size + b.length > max) {
      if (truncate) {
        chunks.push(b.subarray(0, max - size));
        stream.destroy();
        break;
      }
      stream.destroy();
      throw new BridgeError('ERR_GLANCE', `answer larger than ${max} bytes; refusing to buffer it`);
    }
    size += b.length;
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}
