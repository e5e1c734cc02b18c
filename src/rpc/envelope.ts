/**
 * The oslo.messaging 2.0 envelope: an AMQP JSON body
 * `{"oslo.version": "2.0", "oslo.message": "<JSON string>"}` whose inner message
 * carries the method, arguments, reply routing and the flattened `_context_*`
 * request context. Pure encode/decode; no I/O.
 */
import { BridgeError } from '../errors/bridge-error.js';
import { pyJsonDumps } from './python-json.js';
import { isVersionCompatible } from './rpc-version.js';

export const ENVELOPE_VERSION = '2.0';
export const JSON_CONTENT_TYPE = 'application/json';

/** AMQP properties oslo sets on every request and reply (PROTOCOL.md §2.2). */
export interface OsloMessageProperties {
  contentType: 'application/json';
  contentEncoding: 'utf-8';
  deliveryMode: 2;
  priority: 0;
  headers: Record<string, never>;
  /** Milliseconds as a string; calls only. */
  expiration?: string;
}

export function messageProperties(expirationMs?: number): OsloMessageProperties {
  const props: OsloMessageProperties = {
    contentType: JSON_CONTENT_TYPE,
    contentEncoding: 'utf-8',
    deliveryMode: 2,
    priority: 0,
    headers: {},
  };
  if (expirationMs !== undefined) props.expiration = String(Math.max(0, Math.trunc(expirationMs)));
  return props;
}

/** A request as the server sees it after unpacking. */
export interface IncomingRequest {
  /** Absent (null) when the sender left it out: the dispatcher then fails as oslo does. */
  readonly method: string | null;
  readonly args: Record<string, unknown>;
  readonly namespace: string | null;
  /** "1.0" when absent, as oslo's dispatcher assumes. */
  readonly version: string;
  /** Present on calls only. */
  readonly msgId: string | null;
  readonly replyQueue: string | null;
  /** The caller's call_monitor_timeout (`_timeout`), as sent. */
  readonly clientTimeout: unknown;
  readonly uniqueId: string | null;
  /** `_context_<key>` entries, prefix stripped, in order. */
  readonly context: Record<string, unknown>;
}

/** A request as a client builds it. */
export interface OutgoingRequest {
  method: string;
  args: Record<string, unknown>;
  namespace?: string | null;
  version?: string | null;
  /** Calls only. */
  msgId?: string;
  replyQueue?: string;
  /** Calls only: seconds, or null when the caller has no call monitor. */
  callMonitorTimeout?: number | null;
  uniqueId: string;
  context?: Record<string, unknown>;
}

/** A reply or call-monitor heartbeat. */
export interface ReplyMessage {
  readonly result: unknown;
  /** The JSON-encoded remote exception, or null. */
  readonly failure: string | null;
  readonly ending: boolean;
  readonly msgId: string;
  readonly uniqueId: string | null;
}

function malformed(reason: string, details: Record<string, unknown> = {}): BridgeError {
  return new BridgeError('ERR_MALFORMED_MESSAGE', reason, { details });
}

/**
 * Decodes the AMQP body into the inner message dict, applying kombu's rules:
 * only application/json bodies are accepted; the envelope major must be 2; a
 * bare dict (legacy "1.0") is accepted as it is.
 */
export function decodeBody(body: Buffer, contentType: string | undefined): Record<string, unknown> {
  if (contentType !== JSON_CONTENT_TYPE) {
    throw malformed(`content type ${contentType === undefined ? '(none)' : JSON.stringify(contentType)} is not application/json`);
  }
  let outer: unknown;
  try {
    outer = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw malformed(`body is not JSON: ${(err as Error).message}`);
  }
  if (!isRecord(outer)) throw malformed('body is not a JSON object');
  // oslo unwraps only when both keys are there; anything else is a legacy bare dict.
  if (!('oslo.version' in outer && 'oslo.message' in outer)) return outer;
  const version = outer['oslo.version'];
  if (!envelopeVersionSupported(version)) {
    throw malformed(`unsupported envelope version ${JSON.stringify(version)}`);
  }
  const inner = outer['oslo.message'];
  if (typeof inner !== 'string') throw malformed('"oslo.message" is not a string');
  let message: unknown;
  try {
    message = JSON.parse(inner);
  } catch (err) {
    throw malformed(`"oslo.message" is not JSON: ${(err as Error).message}`);
  }
  if (!isRecord(message)) throw malformed('"oslo.message" is not a JSON object');
  return message;
}

/** Unpacks a decoded request; wrong field types are reported as malformed. */
export function unpackRequest(message: Record<string, unknown>): IncomingRequest {
  const context: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(message)) {
    if (k.startsWith('_context_')) context[k.slice('_context_'.length)] = v;
  }
  const method = message.method;
  if (method !== undefined && method !== null && typeof method !== 'string') throw malformed('"method" is not a string');
  const args = message.args ?? {};
  if (!isRecord(args)) throw malformed('"args" is not an object');
  const namespace = message.namespace ?? null;
  if (namespace !== null && typeof namespace !== 'string') throw malformed('"namespace" is not a string');
  const version = message.version ?? '1.0';
  if (typeof version !== 'string') throw malformed('"version" is not a string');
  const msgId = optionalString(message, '_msg_id');
  const replyQueue = optionalString(message, '_reply_q');
  if (msgId !== null && replyQueue === null) throw malformed('a call (_msg_id) without _reply_q cannot be answered');
  return {
    method: (method as string | undefined) ?? null,
    args,
    namespace,
    version,
    msgId,
    replyQueue,
    clientTimeout: message._timeout ?? null,
    uniqueId: optionalString(message, '_unique_id'),
    context,
  };
}

/** Encodes a request with oslo's key order (method, args, namespace, version, _msg_id, _reply_q, _timeout, _unique_id, _context_*). */
export function encodeRequest(req: OutgoingRequest): Buffer {
  const inner: Record<string, unknown> = { method: req.method, args: req.args };
  if (req.namespace != null) inner.namespace = req.namespace;
  if (req.version != null) inner.version = req.version;
  if (req.msgId !== undefined) {
    inner._msg_id = req.msgId;
    inner._reply_q = req.replyQueue;
    inner._timeout = req.callMonitorTimeout ?? null;
  }
  inner._unique_id = req.uniqueId;
  for (const [k, v] of Object.entries(req.context ?? {})) inner[`_context_${k}`] = v;
  return wrap(inner);
}

/** Encodes a final reply or (ending=false, result null) a call-monitor heartbeat. */
export function encodeReply(reply: ReplyMessage): Buffer {
  return wrap({ result: reply.result ?? null, failure: reply.failure, ending: reply.ending, _msg_id: reply.msgId, _unique_id: reply.uniqueId });
}

/** Decodes a reply; throws ERR_MALFORMED_MESSAGE when oslo's client would not accept it either. */
export function decodeReply(body: Buffer, contentType: string | undefined): ReplyMessage {
  const m = decodeBody(body, contentType);
  const msgId = m._msg_id;
  if (typeof msgId !== 'string') throw malformed('reply without _msg_id');
  if (!('failure' in m)) throw malformed('reply without "failure"', { msgId });
  const failure = m.failure;
  if (failure !== null && typeof failure !== 'string') throw malformed('reply "failure" is not a string', { msgId });
  return {
    result: m.result ?? null,
    failure,
    ending: m.ending === true,
    msgId,
    uniqueId: typeof m._unique_id === 'string' ? m._unique_id : null,
  };
}

/** oslo checks `version_is_compatible("2.0", v)`: "2.0" and "2.0.x" pass, "2.1" and "3.0" do not. */
function envelopeVersionSupported(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  try {
    return isVersionCompatible(ENVELOPE_VERSION, v);
  } catch {
    return false;
  }
}

function wrap(inner: Record<string, unknown>): Buffer {
  return Buffer.from(pyJsonDumps({ 'oslo.version': ENVELOPE_VERSION, 'oslo.message': pyJsonDumps(inner) }), 'utf8');
}

function optionalString(m: Record<string, unknown>, key: string): string | null {
  const v = m[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw malformed(`"${key}" is not a string`);
  return v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
