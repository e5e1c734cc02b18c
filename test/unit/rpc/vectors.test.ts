/**
 * Every message captured between real Python oslo.messaging 14 peers
 * (../shared/oslo-rpc/vectors/*.json) is decoded with our decoder and encoded
 * again with our encoder: byte for byte where Python wrote it, field for field
 * for the hand-made malformed requests. Properties and routing are checked
 * against what our client and server would use for the same operation.
 */
import { describe, expect, test } from 'vitest';
import { isBridgeError } from '../../../src/errors/bridge-error.js';
import {
  decodeBody,
  decodeReply,
  encodeReply,
  encodeRequest,
  type IncomingRequest,
  messageProperties,
  type OsloMessageProperties,
  unpackRequest,
} from '../../../src/rpc/envelope.js';
import { pyJsonDumps } from '../../../src/rpc/python-json.js';
import { decodeFailure } from '../../../src/rpc/remote-failure.js';
import { requestRoute } from '../../../src/rpc/topology.js';
import { loadVectors, type VectorFile, type VectorMessage } from './shared-vectors.js';

// The capture's names (README.md): control exchange nova, topic docker-compute, server host1.
const EXCHANGE = 'nova';
const TOPIC = 'docker-compute';
const SERVER = 'host1';

/** How each scenario's requests were addressed by py_client.py. */
function target(scenario: string): { server: string | null; fanout: boolean } {
  if (scenario === 'fanout') return { server: null, fanout: true };
  if (scenario === 'call_topic_only') return { server: null, fanout: false };
  return { server: SERVER, fanout: false };
}

/** malformed.json: what the Python server did with each case (python_server_outcome), as accept/reject. */
const MALFORMED_OUTCOME: Record<string, 'accept' | 'reject'> = {
  'invalid JSON body': 'reject',
  'no content_type': 'reject',
  'content_type text/plain': 'reject',
  'application/json without content_encoding': 'accept',
  "envelope oslo.version '3.0'": 'reject',
  'un-enveloped legacy (1.0) body': 'accept',
  "no 'method' key": 'accept',
  "no 'args', no '_unique_id'": 'accept',
  "namespace 'other'": 'accept',
};

/** amqplib property names → the firehose names used in the vectors. */
function firehose(p: OsloMessageProperties): Record<string, unknown> {
  const out: Record<string, unknown> = {
    content_type: p.contentType,
    content_encoding: p.contentEncoding,
    delivery_mode: p.deliveryMode,
    priority: p.priority,
    headers: p.headers,
  };
  if (p.expiration !== undefined) out.expiration = p.expiration;
  return out;
}

function expectedUnpacked(m: Record<string, unknown>): IncomingRequest {
  const context: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) if (k.startsWith('_context_')) context[k.slice(9)] = v;
  return {
    method: (m.method as string | undefined) ?? null,
    args: (m.args as Record<string, unknown> | undefined) ?? {},
    namespace: (m.namespace as string | undefined) ?? null,
    version: (m.version as string | undefined) ?? '1.0',
    msgId: (m._msg_id as string | undefined) ?? null,
    replyQueue: (m._reply_q as string | undefined) ?? null,
    clientTimeout: m._timeout ?? null,
    uniqueId: (m._unique_id as string | undefined) ?? null,
    context,
  };
}

function reencodeRequest(req: IncomingRequest, original: Record<string, unknown>): Buffer {
  return encodeRequest({
    method: req.method ?? '',
    args: req.args,
    namespace: req.namespace,
    version: 'version' in original ? req.version : null,
    ...(req.msgId !== null ? { msgId: req.msgId, replyQueue: req.replyQueue ?? '', callMonitorTimeout: req.clientTimeout as number | null } : {}),
    uniqueId: req.uniqueId ?? '',
    context: req.context,
  });
}

let vectors: VectorFile[] = [];
let loadError: Error | undefined;
try {
  vectors = loadVectors();
} catch (err) {
  loadError = err as Error;
}

test('the shared oslo vectors are present', () => {
  if (loadError) throw loadError;
  expect(vectors.map((v) => v.file)).toEqual(
    expect.arrayContaining([
      'call.json', 'call_monitor.json', 'call_topic_only.json', 'call_version_timeout.json', 'cast.json', 'exception.json',
      'exception_allowed.json', 'fanout.json', 'malformed.json', 'no_such_method.json', 'nova_context.json', 'private_method.json',
      'unsupported_version.json',
    ]),
  );
});

const requests = vectors.flatMap((v) => v.messages.filter((m) => m.role.startsWith('request')).map((m, i) => [`${v.file} #${i} ${m.malformed_case ?? m.role}`, v, m] as const));
const replies = vectors.flatMap((v) => v.messages.filter((m) => !m.role.startsWith('request')).map((m, i) => [`${v.file} #${i} ${m.role}`, v, m] as const));

function contentType(m: VectorMessage): string | undefined {
  return m.properties.content_type as string | undefined;
}

describe('requests', () => {
  test.each(requests)('%s: decoded as the Python server did', (_name, v, m) => {
    const body = Buffer.from(m.body_raw, 'utf8');
    const outcome = m.malformed_case === undefined ? 'accept' : MALFORMED_OUTCOME[m.malformed_case];
    expect(outcome, `no expected outcome for malformed case ${m.malformed_case}`).toBeDefined();
    if (outcome === 'reject') {
      let error: unknown;
      try {
        unpackRequest(decodeBody(body, contentType(m)));
      } catch (err) {
        error = err;
      }
      expect(isBridgeError(error, 'ERR_MALFORMED_MESSAGE'), `${v.file}: ${m.malformed_case} should be rejected`).toBe(true);
      return;
    }
    const decoded = decodeBody(body, contentType(m));
    // oslo_message in the vector is the capture's own decoding of the body (the body itself for a legacy dict).
    expect(decoded).toEqual(m.oslo_message ?? m.body);
    expect(unpackRequest(decoded)).toEqual(expectedUnpacked(decoded));
  });

  test.each(requests.filter(([, , m]) => m.malformed_case === undefined))('%s: re-encoded byte for byte', (_name, _v, m) => {
    const original = m.oslo_message as Record<string, unknown>;
    const req = unpackRequest(decodeBody(Buffer.from(m.body_raw, 'utf8'), contentType(m)));
    expect(reencodeRequest(req, original).toString('utf8')).toBe(m.body_raw);
  });

  test.each(requests.filter(([, , m]) => m.malformed_case !== undefined && MALFORMED_OUTCOME[m.malformed_case] === 'accept'))(
    '%s: re-encoded field for field (the original was written by JSON.stringify, not Python)',
    (_name, _v, m) => {
      const decoded = decodeBody(Buffer.from(m.body_raw, 'utf8'), contentType(m));
      const req = unpackRequest(decoded);
      if (req.method === null) return; // our encoder always sends a method; the decode above is the check
      const again = unpackRequest(decodeBody(reencodeRequest(req, decoded), 'application/json'));
      expect({ ...again, uniqueId: req.uniqueId }).toEqual(req);
    },
  );

  test.each(requests.filter(([, , m]) => m.malformed_case === undefined))('%s: properties and routing are ours', (_name, v, m) => {
    const isCall = '_msg_id' in (m.oslo_message ?? {});
    const expiration = m.properties.expiration;
    // Expiration on calls only (PROTOCOL.md §2.1): our client sets messageProperties(timeoutMs).
    expect(expiration !== undefined).toBe(isCall);
    const ours = messageProperties(isCall ? Number(expiration) : undefined);
    expect(firehose(ours)).toEqual(m.properties);
    expect(m.amqplib_delivery?.properties).toEqual(ours);
    const t = target(v.scenario);
    expect(requestRoute(EXCHANGE, TOPIC, t.server, t.fanout)).toEqual({ exchange: m.exchange, routingKey: m.routing_key });
    expect(m.amqplib_delivery?.fields).toMatchObject({ exchange: m.exchange, routingKey: m.routing_key });
  });
});

describe('replies', () => {
  test('every scenario with a call has a reply', () => {
    expect(replies.length).toBeGreaterThanOrEqual(15);
  });

  test.each(replies)('%s: decoded and re-encoded byte for byte', (_name, _v, m) => {
    const reply = decodeReply(Buffer.from(m.body_raw, 'utf8'), contentType(m));
    const inner = m.oslo_message as Record<string, unknown>;
    expect(reply).toEqual({
      result: inner.result,
      failure: inner.failure,
      ending: inner.ending,
      msgId: inner._msg_id,
      uniqueId: inner._unique_id,
    });
    expect(encodeReply(reply).toString('utf8')).toBe(m.body_raw);
  });

  test.each(replies)('%s: properties, route and correlation', (_name, v, m) => {
    expect(firehose(messageProperties())).toEqual(m.properties);
    const reply = decodeReply(Buffer.from(m.body_raw, 'utf8'), contentType(m));
    const request = v.messages.find((r) => r.role.startsWith('request') && (r.oslo_message ?? r.body as Record<string, unknown>)?._msg_id === reply.msgId);
    expect(request, `no request with _msg_id ${reply.msgId}`).toBeDefined();
    const inner = (request?.oslo_message ?? request?.body) as Record<string, unknown>;
    expect({ exchange: m.exchange, routingKey: m.routing_key }).toEqual({ exchange: '', routingKey: inner._reply_q });
    if (!reply.ending) expect({ result: reply.result, failure: reply.failure }).toEqual({ result: null, failure: null });
  });

  test('call_monitor.json: heartbeats (ending false) come before exactly one final reply', () => {
    const v = vectors.find((x) => x.file === 'call_monitor.json');
    expect(v).toBeDefined();
    const endings = (v?.messages ?? []).filter((m) => !m.role.startsWith('request')).map((m) => decodeReply(Buffer.from(m.body_raw), contentType(m)).ending);
    expect(endings).toEqual([false, false, false, true]);
  });
});

describe('failures', () => {
  const failures = replies.filter(([, , m]) => m.failure_decoded !== undefined);

  test.each(failures)('%s: our JSON writer reproduces the Python failure string', (_name, _v, m) => {
    const failure = (m.oslo_message as { failure: string }).failure;
    expect(pyJsonDumps(m.failure_decoded)).toBe(failure);
    const e = decodeFailure(failure);
    expect([e.remoteModule, e.remoteClass, e.remoteMessage]).toEqual([m.failure_decoded?.module, m.failure_decoded?.class, m.failure_decoded?.message]);
  });
});
