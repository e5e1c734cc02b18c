/**
 * Glance image API v2, over the {@link HttpClient} port.
 *
 * Behaviour this relies on (measured against Glance 25.1, research notes):
 * - `PUT /v2/images/{id}/file` with `application/octet-stream` returns 204 only
 *   once the data is stored and the image is `active` (size, checksum,
 *   os_hash_value set). Chunked bodies are fine; Content-Length is sent when known.
 * - `GET …/file` answers 204 with no body for an image without data.
 * - The `name` list filter takes `op:value` syntax (`eq:` is added here);
 *   custom-property filters take the bare value.
 * - `next` links are relative to the endpoint root ("/v2/images?…&marker=…").
 */
import type { Readable } from 'node:stream';
import { BridgeError, isBridgeError } from '../errors/bridge-error.js';
import type { HttpBody, HttpClient, HttpMethod, HttpRequest, HttpResponse } from './http-client.js';
import { parseGlanceImage, type GlanceImage } from './glance-image.js';
import type { JsonPatchOp } from './json-patch.js';
import type { TokenSource } from './token-source.js';
import { destroyOnReject } from '../stream/destroy-on-reject.js';

/** Options of {@link GlanceClient}. */
export interface GlanceClientOptions {
  readonly http: HttpClient;
  /** The image endpoint, e.g. http://controller:9292 (a trailing /v2 is accepted). */
  readonly endpoint: string;
  readonly tokens: TokenSource;
  /** Abort a transfer on which no byte moved for this long (ms). */
  readonly stallTimeoutMs: number;
}

/** What a new image record gets. Custom properties must be strings (Glance refuses other JSON). */
export interface ImageCreate {
  readonly name: string;
  readonly containerFormat: string;
  readonly diskFormat: string;
  /** private, shared, community or public. Glance's default is "shared". */
  readonly visibility?: string;
  readonly tags?: readonly string[];
  readonly minDisk?: number;
  readonly minRam?: number;
  readonly protected?: boolean;
  /** Our own UUID for the image, instead of Glance's. */
  readonly id?: string;
  readonly properties?: Readonly<Record<string, string>>;
}

/** Filters of {@link GlanceClient.listImages}. Each one narrows the result (AND). */
export interface ImageFilters {
  /** Exact name. */
  readonly name?: string;
  readonly containerFormat?: string;
  readonly diskFormat?: string;
  readonly status?: string;
  readonly visibility?: string;
  readonly owner?: string;
  /** Images carrying every one of these tags. */
  readonly tags?: readonly string[];
  /** Custom properties that must have exactly these values. */
  readonly properties?: Readonly<Record<string, string>>;
  /** e.g. "created_at:desc". */
  readonly sort?: string;
  /** Images per page request (Glance caps it, 25 by default, limit_param_default). */
  readonly pageSize?: number;
}

/** An image's data being downloaded. */
export interface ImageDownload {
  /** The bytes; reading it slowly is fine, stopping for the stall timeout is not. */
  readonly stream: Readable;
  /** Content-Length, when Glance sent one. */
  readonly size: number | null;
  /** Glance's Content-MD5 header (= the image checksum), when sent. */
  readonly contentMd5: string | null;
}

const IMAGE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

function imagePath(id: string): string {
  if (!IMAGE_ID.test(id) || id.includes('..')) throw new BridgeError('ERR_INVALID_ARGUMENT', `not a valid Glance image ID: ${JSON.stringify(id)}`);
  return `/v2/images/${encodeURIComponent(id)}`;
}

/** The endpoint root without a trailing slash or version suffix. */
export function normalizeImageEndpoint(endpoint: string): string {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    throw new BridgeError('ERR_CONFIG_INVALID', `not a valid image endpoint URL: ${JSON.stringify(endpoint)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new BridgeError('ERR_CONFIG_INVALID', `image endpoint must be http(s): ${endpoint}`);
  u.search = '';
  u.hash = '';
  return u.toString().replace(/\/+$/, '').replace(/\/v2(\.\d+)?$/, '');
}

export class GlanceClient {
  readonly endpoint: string;

  constructor(private readonly options: GlanceClientOptions) {
    this.endpoint = normalizeImageEndpoint(options.endpoint);
  }

  async createImage(spec: ImageCreate, signal?: AbortSignal): Promise<GlanceImage> {
    const body: Record<string, unknown> = { ...(spec.properties ?? {}) };
    body.name = spec.name;
    body.container_format = spec.containerFormat;
    body.disk_format = spec.diskFormat;
    if (spec.visibility !== undefined) body.visibility = spec.visibility;
    if (spec.tags !== undefined) body.tags = [...spec.tags];
    if (spec.minDisk !== undefined) body.min_disk = spec.minDisk;
    if (spec.minRam !== undefined) body.min_ram = spec.minRam;
    if (spec.protected !== undefined) body.protected = spec.protected;
    if (spec.id !== undefined) body.id = spec.id;
    const res = await this.call({ method: 'POST', path: '/v2/images', operation: `create image ${JSON.stringify(spec.name)}`, body: { kind: 'json', value: body }, response: 'json' }, signal);
    return parseGlanceImage(res.json, 'create image');
  }

  async getImage(id: string, signal?: AbortSignal): Promise<GlanceImage> {
    const res = await this.call({ method: 'GET', path: imagePath(id), operation: `show image ${id}`, response: 'json', notFound: true }, signal);
    return parseGlanceImage(res.json, `show image ${id}`);
  }

  /**
   * Uploads the image data (`PUT …/file`). The stream is consumed; on failure it
   * is destroyed. Glance restores the image to `queued` when a client drops
   * mid-upload, but a server crash leaves it `saving`: callers that give up on
   * an image should delete it.
   */
  async uploadImageData(id: string, data: Readable, options: { length?: number; signal?: AbortSignal } = {}): Promise<void> {
    const body: HttpBody = { kind: 'stream', stream: data, contentType: 'application/octet-stream', ...(options.length === undefined ? {} : { length: options.length }) };
    // A stream cannot be replayed: no retry after a 401 here.
    await destroyOnReject(this.call({ method: 'PUT', path: `${imagePath(id)}/file`, operation: `upload data of image ${id}`, body, response: 'none', notFound: true, noRetry: true }, options.signal), data);
  }

  /** Starts downloading the image data. An image without data is ERR_IMAGE_NOT_FOUND. */
  async downloadImageData(id: string, signal?: AbortSignal): Promise<ImageDownload> {
    const res = await this.call({ method: 'GET', path: `${imagePath(id)}/file`, operation: `download data of image ${id}`, response: 'stream', notFound: true }, signal);
    const stream = res.stream as Readable;
    if (res.status === 204) {
      stream.destroy();
      throw new BridgeError('ERR_IMAGE_NOT_FOUND', `image ${id} has no data in Glance (it was never uploaded, or the upload failed)`, { details: { image_id: id } });
    }
    const length = res.headers['content-length'];
    return {
      stream,
      size: length !== undefined && /^\d+$/.test(length) ? Number(length) : null,
      contentMd5: res.headers['content-md5'] ?? null,
    };
  }

  /** Every image matching `filters`, page by page (follows Glance's `next` links). */
  async *listImages(filters: ImageFilters = {}, signal?: AbortSignal): AsyncGenerator<GlanceImage> {
    const query: Record<string, string | readonly string[]> = { ...(filters.properties ?? {}) };
    if (filters.name !== undefined) query.name = `eq:${filters.name}`;
    if (filters.containerFormat !== undefined) query.container_format = filters.containerFormat;
    if (filters.diskFormat !== undefined) query.disk_format = filters.diskFormat;
    if (filters.status !== undefined) query.status = filters.status;
    if (filters.visibility !== undefined) query.visibility = filters.visibility;
    if (filters.owner !== undefined) query.owner = filters.owner;
    if (filters.tags !== undefined && filters.tags.length > 0) query.tag = filters.tags;
    if (filters.sort !== undefined) query.sort = filters.sort;
    if (filters.pageSize !== undefined) query.limit = String(filters.pageSize);

    let path: string | null = '/v2/images';
    let first = true;
    const seen = new Set<string>();
    while (path !== null) {
      const res: HttpResponse = await this.call({ method: 'GET', path, operation: 'list images', response: 'json', ...(first ? { query } : {}) }, signal);
      first = false;
      const page = res.json as { images?: unknown; next?: unknown } | null;
      if (page === null || !Array.isArray(page.images)) throw new BridgeError('ERR_GLANCE', 'list images: Glance answered without an "images" array');
      for (const raw of page.images) yield parseGlanceImage(raw, 'list images');
      const next: string | null = typeof page.next === 'string' && page.images.length > 0 ? page.next : null;
      // A server that hands out the same page forever must not keep us here forever.
      if (next !== null && seen.has(next)) throw new BridgeError('ERR_GLANCE', `list images: Glance returned the same "next" link twice (${next})`);
      if (next !== null) seen.add(next);
      path = next;
    }
  }

  /** Applies JSON-patch operations to the image record. */
  async updateImage(id: string, ops: readonly JsonPatchOp[], signal?: AbortSignal): Promise<GlanceImage> {
    if (ops.length === 0) return this.getImage(id, signal);
    const res = await this.call(
      {
        method: 'PATCH',
        path: imagePath(id),
        operation: `update image ${id}`,
        body: { kind: 'json', value: ops, contentType: 'application/openstack-images-v2.1-json-patch' },
        response: 'json',
        notFound: true,
      },
      signal,
    );
    return parseGlanceImage(res.json, `update image ${id}`);
  }

  async deleteImage(id: string, signal?: AbortSignal): Promise<void> {
    await this.call({ method: 'DELETE', path: imagePath(id), operation: `delete image ${id}`, response: 'none', notFound: true }, signal);
  }

  /** Deletes the image if it exists; a missing image is success. */
  async deleteImageIfExists(id: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.deleteImage(id, signal);
      return true;
    } catch (err) {
      if (isBridgeError(err, 'ERR_IMAGE_NOT_FOUND')) return false;
      throw err;
    }
  }

  private async call(
    c: {
      method: HttpMethod;
      path: string;
      operation: string;
      response: HttpRequest['response'];
      body?: HttpBody;
      query?: HttpRequest['query'];
      notFound?: boolean;
      noRetry?: boolean;
    },
    signal: AbortSignal | undefined,
  ): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.options.tokens.token(signal);
      const req: HttpRequest = {
        method: c.method,
        url: this.resolve(c.path),
        ...(c.query === undefined ? {} : { query: c.query }),
        headers: token === null ? {} : { 'X-Auth-Token': token },
        ...(c.body === undefined ? {} : { body: c.body }),
        response: c.response,
        operation: c.operation,
        service: 'glance',
        ...(c.notFound ? { notFoundCode: 'ERR_IMAGE_NOT_FOUND' as const } : {}),
        stallTimeoutMs: this.options.stallTimeoutMs,
        ...(signal === undefined ? {} : { signal }),
      };
      try {
        return await this.options.http.request(req);
      } catch (err) {
        // An expired token is renewed once; a refused fresh one is final.
        if (attempt === 0 && !c.noRetry && isBridgeError(err, 'ERR_UNAUTHORIZED') && err.details.http_status === 401 && this.options.tokens.invalidate(token)) continue;
        throw err;
      }
    }
  }

  private resolve(path: string): string {
    // `next` links are absolute paths on the endpoint's host; keep any path prefix of the endpoint.
    if (!path.startsWith('/v2/')) throw new BridgeError('ERR_GLANCE', `Glance returned an unexpected link: ${JSON.stringify(path)}`);
    return `${this.endpoint}${path}`;
  }
}
