/**
 * The oslo 2.0 envelope: what the server accepts and rejects (kombu's and
 * oslo's rules, PROTOCOL.md §3.1 and the malformed.json vector), and the exact
 * bytes and key order of what we send (§2.3, §2.4, §4).
 */
import { describe, expect, test } from 'vitest';
import { isBridgeError } from '../../../src/errors/bridge-error.js';
import { decodeBody, decodeReply, encodeReply, encodeRequest, messageProperties, unpackRequest } from '../../../src/rpc/envelope.js';

const JSON_TYPE = 'application/json';
const buf = (s: string): Buffer => Buffer.from(s, 'utf8');
const envelope = (inner: unknown, version: unknown = '2.0'): Buffer =>
  buf(JSON.stringify({ 'oslo.version': version, 'oslo.message': JSON.stringify(inner) }));

function malformedReason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isBridgeError(err, 'ERR_MALFORMED_MESSAGE')) return err.message;
    throw err;
  }
  throw new Error('expected ERR_MALFORMED_MESSAGE, nothing was thrown');
}

describe('decodeBody: accepted', () => {
  test('the 2.0 envelope is unwrapped', () => {
    expect(decodeBody(envelope({ method: 'echo', args: { a: 1 } }), JSON_TYPE)).toEqual({ method: 'echo', args: { a: 1 } });
  });

  test.each(['2.0', '2.0.0', ' 2 . 0 '])('envelope version %j (version_is_compatible("2.0", v))', (v) => {
    expect(decodeBody(envelope({ method: 'm' }, v), JSON_TYPE)).toEqual({ method: 'm' });
  });

  test('a legacy un-enveloped dict is accepted as it is', () => {
    const legacy = { method: 'echo', args: { m: 'v1-unenveloped' }, _msg_id: 'a', _reply_q: 'reply_x' };
    expect(decodeBody(buf(JSON.stringify(legacy)), JSON_TYPE)).toEqual(legacy);
  });

  test('a dict with only one of the envelope keys is a legacy dict too (oslo needs both to unwrap)', () => {
    expect(decodeBody(buf('{"oslo.version": "9.9", "method": "m"}'), JSON_TYPE)).toEqual({ 'oslo.version': '9.9', method: 'm' });
  });

  test('raw UTF-8 (JSON.stringify style) is accepted as well as \\u escapes', () => {
    expect(decodeBody(envelope({ s: 'héllo € 😀' }), JSON_TYPE)).toEqual({ s: 'héllo € 😀' });
    expect(decodeBody(encodeRequest({ method: 'm', args: { s: 'héllo € 😀' }, uniqueId: 'u' }), JSON_TYPE)).toMatchObject({ args: { s: 'héllo € 😀' } });
  });
});

describe('decodeBody: rejected as ERR_MALFORMED_MESSAGE', () => {
  test.each<[string, Buffer, string | undefined, RegExp]>([
    ['not JSON', buf('not json'), JSON_TYPE, /not JSON/],
    ['empty body', buf(''), JSON_TYPE, /not JSON/],
    ['no content type', envelope({ method: 'm' }), undefined, /content type \(none\)/],
    ['text/plain', envelope({ method: 'm' }), 'text/plain', /"text\/plain" is not application\/json/],
    ['JSON array', buf('[1, 2]'), JSON_TYPE, /not a JSON object/],
    ['JSON string', buf('"x"'), JSON_TYPE, /not a JSON object/],
    ['JSON null', buf('null'), JSON_TYPE, /not a JSON object/],
    ['envelope 3.0', envelope({}, '3.0'), JSON_TYPE, /unsupported envelope version "3.0"/],
    ['envelope 2.1 (minor above 2.0)', envelope({}, '2.1'), JSON_TYPE, /unsupported envelope version "2.1"/],
    ['envelope 2.0.7 (revision above 2.0)', envelope({}, '2.0.7'), JSON_TYPE, /unsupported envelope version "2.0.7"/],
    ['envelope 1.0', envelope({}, '1.0'), JSON_TYPE, /unsupported envelope version/],
    ['envelope version "2" (Python raises IndexError)', envelope({}, '2'), JSON_TYPE, /unsupported envelope version "2"/],
    ['envelope version as a number', envelope({}, 2.0), JSON_TYPE, /unsupported envelope version 2/],
    ['oslo.message not a string', buf('{"oslo.version": "2.0", "oslo.message": {"method": "m"}}'), JSON_TYPE, /"oslo.message" is not a string/],
    ['oslo.message not JSON', buf('{"oslo.version": "2.0", "oslo.message": "{nope"}'), JSON_TYPE, /"oslo.message" is not JSON/],
    ['oslo.message a JSON array', buf('{"oslo.version": "2.0", "oslo.message": "[]"}'), JSON_TYPE, /"oslo.message" is not a JSON object/],
  ])('%s', (_name, body, contentType, reason) => {
    expect(malformedReason(() => decodeBody(body, contentType))).toMatch(reason);
  });
});

describe('unpackRequest', () => {
  test('a call: fields, defaults and the _context_* keys (prefix stripped, in order)', () => {
    const req = unpackRequest({
      method: 'echo',
      args: { a: 1 },
      version: '1.2',
      namespace: 'baseapi',
      _msg_id: 'm1',
      _reply_q: 'reply_1',
      _timeout: 2,
      _unique_id: 'u1',
      _context_request_id: 'req-1',
      _context_user_id: 'u',
      _context_roles: ['admin'],
    });
    expect(req).toEqual({
      method: 'echo',
      args: { a: 1 },
      namespace: 'baseapi',
      version: '1.2',
      msgId: 'm1',
      replyQueue: 'reply_1',
      clientTimeout: 2,
      uniqueId: 'u1',
      context: { request_id: 'req-1', user_id: 'u', roles: ['admin'] },
    });
    expect(Object.keys(req.context)).toEqual(['request_id', 'user_id', 'roles']);
  });

  test('a cast: no _msg_id/_reply_q/_timeout; missing args → {}, missing version → "1.0"', () => {
    expect(unpackRequest({ method: 'note', _unique_id: 'u2' })).toEqual({
      method: 'note',
      args: {},
      namespace: null,
      version: '1.0',
      msgId: null,
      replyQueue: null,
      clientTimeout: null,
      uniqueId: 'u2',
      context: {},
    });
  });

  test('missing method is passed on as null (the dispatcher answers TypeError, as oslo does)', () => {
    expect(unpackRequest({ args: {}, _msg_id: 'm', _reply_q: 'reply_x' }).method).toBeNull();
  });

  test.each<[string, Record<string, unknown>, RegExp]>([
    ['method a number', { method: 5 }, /"method" is not a string/],
    ['args an array', { method: 'm', args: [1] }, /"args" is not an object/],
    ['args a string', { method: 'm', args: 'x' }, /"args" is not an object/],
    ['namespace a number', { method: 'm', namespace: 1 }, /"namespace" is not a string/],
    ['version a number', { method: 'm', version: 1.3 }, /"version" is not a string/],
    ['_msg_id a number', { method: 'm', _msg_id: 7, _reply_q: 'reply_x' }, /"_msg_id" is not a string/],
    ['_reply_q an object', { method: 'm', _msg_id: 'a', _reply_q: {} }, /"_reply_q" is not a string/],
    ['_unique_id a list', { method: 'm', _unique_id: [] }, /"_unique_id" is not a string/],
    ['call without _reply_q', { method: 'm', _msg_id: 'a' }, /without _reply_q/],
  ])('wrong type: %s', (_name, message, reason) => {
    expect(malformedReason(() => unpackRequest(message))).toMatch(reason);
  });
});

describe('encodeRequest', () => {
  test('a call with everything: oslo key order, Python separators, double encoding', () => {
    const body = encodeRequest({
      method: 'echo',
      args: { x: 1 },
      namespace: 'baseapi',
      version: '1.1',
      msgId: 'm1',
      replyQueue: 'reply_1',
      callMonitorTimeout: 2,
      uniqueId: 'u1',
      context: { request_id: 'req-1', is_admin: false },
    }).toString('utf8');
    expect(body).toBe(
      '{"oslo.version": "2.0", "oslo.message": "{\\"method\\": \\"echo\\", \\"args\\": {\\"x\\": 1}, \\"namespace\\": \\"baseapi\\", ' +
        '\\"version\\": \\"1.1\\", \\"_msg_id\\": \\"m1\\", \\"_reply_q\\": \\"reply_1\\", \\"_timeout\\": 2, \\"_unique_id\\": \\"u1\\", ' +
        '\\"_context_request_id\\": \\"req-1\\", \\"_context_is_admin\\": false}"}',
    );
  });

  test('a call without call monitor sends "_timeout": null', () => {
    const inner = JSON.parse(JSON.parse(encodeRequest({ method: 'm', args: {}, msgId: 'a', replyQueue: 'reply_b', uniqueId: 'u' }).toString())['oslo.message']);
    expect(Object.keys(inner)).toEqual(['method', 'args', '_msg_id', '_reply_q', '_timeout', '_unique_id']);
    expect(inner._timeout).toBeNull();
  });

  test('a cast has no _msg_id, _reply_q or _timeout, and null namespace/version are left out', () => {
    const inner = JSON.parse(JSON.parse(encodeRequest({ method: 'note', args: {}, namespace: null, version: null, uniqueId: 'u' }).toString())['oslo.message']);
    expect(Object.keys(inner)).toEqual(['method', 'args', '_unique_id']);
  });

  test('round trip through decodeBody + unpackRequest', () => {
    const body = encodeRequest({ method: 'm', args: { s: 'é😀' }, version: '1.2', msgId: 'a', replyQueue: 'reply_b', callMonitorTimeout: null, uniqueId: 'u', context: { k: [1] } });
    expect(unpackRequest(decodeBody(body, JSON_TYPE))).toEqual({
      method: 'm', args: { s: 'é😀' }, namespace: null, version: '1.2', msgId: 'a', replyQueue: 'reply_b', clientTimeout: null, uniqueId: 'u', context: { k: [1] },
    });
  });
});

describe('encodeReply / decodeReply', () => {
  test('final reply: exact bytes and key order result, failure, ending, _msg_id, _unique_id', () => {
    expect(encodeReply({ result: { a: [1] }, failure: null, ending: true, msgId: 'm', uniqueId: 'u' }).toString()).toBe(
      '{"oslo.version": "2.0", "oslo.message": "{\\"result\\": {\\"a\\": [1]}, \\"failure\\": null, \\"ending\\": true, \\"_msg_id\\": \\"m\\", \\"_unique_id\\": \\"u\\"}"}',
    );
  });

  test('heartbeat: result null, ending false', () => {
    const inner = JSON.parse(JSON.parse(encodeReply({ result: undefined, failure: null, ending: false, msgId: 'm', uniqueId: 'u' }).toString())['oslo.message']);
    expect(inner).toEqual({ result: null, failure: null, ending: false, _msg_id: 'm', _unique_id: 'u' });
  });

  test('decodeReply reads what encodeReply wrote', () => {
    const reply = { result: 'pong', failure: null, ending: true, msgId: 'm', uniqueId: 'u' };
    expect(decodeReply(encodeReply(reply), JSON_TYPE)).toEqual(reply);
  });

  test('decodeReply accepts what a Python client accepts: no result, no _unique_id, bare dict', () => {
    expect(decodeReply(buf('{"failure": null, "ending": true, "_msg_id": "m"}'), JSON_TYPE)).toEqual({
      result: null, failure: null, ending: true, msgId: 'm', uniqueId: null,
    });
  });

  test.each<[string, string, RegExp]>([
    ['no _msg_id', '{"result": 1, "failure": null, "ending": true}', /without _msg_id/],
    ['no failure key', '{"result": 1, "ending": true, "_msg_id": "m"}', /without "failure"/],
    ['failure as an object', '{"result": null, "failure": {"class": "X"}, "ending": true, "_msg_id": "m"}', /"failure" is not a string/],
  ])('decodeReply rejects a reply with %s', (_name, body, reason) => {
    expect(malformedReason(() => decodeReply(buf(body), JSON_TYPE))).toMatch(reason);
  });

  test('a missing "ending" reads as false (oslo ignores such a reply)', () => {
    expect(decodeReply(buf('{"result": 1, "failure": null, "_msg_id": "m"}'), JSON_TYPE).ending).toBe(false);
  });
});

describe('messageProperties', () => {
  test('oslo properties, without expiration', () => {
    expect(messageProperties()).toEqual({ contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 2, priority: 0, headers: {} });
  });

  test.each([
    [60_000, '60000'],
    [7000, '7000'],
    [1500.9, '1500'],
    [-5, '0'],
  ])('expiration %d ms → %j', (ms, expected) => {
    expect(messageProperties(ms).expiration).toBe(expected);
  });
});
