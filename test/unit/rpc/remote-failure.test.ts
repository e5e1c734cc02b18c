/**
 * The `failure` string (PROTOCOL.md §5): our encoding, decoding of the
 * captured Python failures, and the mapping to our error codes.
 */
import { describe, expect, test } from 'vitest';
import { BridgeError, ERROR_CODES, type ErrorCode } from '../../../src/errors/bridge-error.js';
import {
  BRIDGE_EXCEPTION_MODULE,
  bridgeFailureMapper,
  builtinFailure,
  decodeFailure,
  DISPATCHER_MODULE,
  encodeFailure,
  exceptionClassForCode,
  noSuchMethodFailure,
  RemoteRpcError,
  unsupportedVersionFailure,
} from '../../../src/rpc/remote-failure.js';
import { loadVectors } from './shared-vectors.js';

describe('encodeFailure', () => {
  test('keys in oslo order: class, module, message, tb, args, kwargs', () => {
    const f = JSON.parse(encodeFailure({ module: 'nova_docker_bridge.exception', class: 'Conflict', message: 'busy', kwargs: { code: 'ERR_CONFLICT' } }));
    expect(Object.keys(f)).toEqual(['class', 'module', 'message', 'tb', 'args', 'kwargs']);
    expect(f).toMatchObject({ class: 'Conflict', module: 'nova_docker_bridge.exception', message: 'busy', args: ['busy'], kwargs: { code: 'ERR_CONFLICT' } });
  });

  test('Python separators and ensure_ascii (the string is json.dumps output)', () => {
    const s = encodeFailure(builtinFailure('ValueError', 'bad é'));
    expect(s.startsWith('{"class": "ValueError", "module": "builtins", "message": "bad \\u00e9", "tb": ["Traceback (most recent call last):\\n", ')).toBe(true);
    expect(s.endsWith('"args": ["bad \\u00e9"], "kwargs": {}}')).toBe(true);
  });

  test('tb: a Python-like traceback whose last line names module.Class (builtins unqualified)', () => {
    const err = new Error('x');
    const tb = JSON.parse(encodeFailure(noSuchMethodFailure('frob'), err.stack)).tb as string[];
    expect(tb[0]).toBe('Traceback (most recent call last):\n');
    expect(tb.at(-1)).toBe('oslo_messaging.rpc.dispatcher.NoSuchMethod: Endpoint does not support RPC method frob\n');
    expect(tb.length).toBeGreaterThan(2);
    expect(tb.slice(1, -1).every((l) => l.startsWith('  File "') && l.endsWith('\n'))).toBe(true);
    expect((JSON.parse(encodeFailure(builtinFailure('TypeError', 't'))).tb as string[]).at(-1)).toBe('TypeError: t\n');
  });

  test('explicit args and kwargs are kept', () => {
    const f = JSON.parse(encodeFailure({ module: 'm', class: 'C', message: 'msg', args: [1, 'two'], kwargs: { a: null } }));
    expect(f.args).toEqual([1, 'two']);
    expect(f.kwargs).toEqual({ a: null });
  });
});

describe('dispatcher failures are spelled as oslo spells them', () => {
  test('NoSuchMethod', () => {
    expect(noSuchMethodFailure('x')).toEqual({ module: DISPATCHER_MODULE, class: 'NoSuchMethod', message: 'Endpoint does not support RPC method x' });
  });
  test('UnsupportedVersion', () => {
    expect(unsupportedVersionFailure('1.4', 'echo').message).toBe('Endpoint does not support RPC version 1.4. Attempted method: echo');
    expect(unsupportedVersionFailure('1.4', null).message).toBe('Endpoint does not support RPC version 1.4');
  });
});

describe('decodeFailure of the captured Python failures', () => {
  const captured = loadVectors().flatMap((v) =>
    v.messages.filter((m) => m.failure_decoded).map((m) => [`${v.file}: ${String(m.failure_decoded?.class)}`, m] as const),
  );

  test('the vectors contain failures', () => {
    expect(captured.length).toBeGreaterThanOrEqual(6);
  });

  test.each(captured)('%s', (_name, m) => {
    const failure = (m.oslo_message as { failure: string }).failure;
    const expected = m.failure_decoded as { class: string; module: string; message: string; tb: string[]; args: unknown[]; kwargs: Record<string, unknown> };
    const e = decodeFailure(failure);
    expect(e).toBeInstanceOf(RemoteRpcError);
    expect({ class: e.remoteClass, module: e.remoteModule, message: e.remoteMessage, args: e.remoteArgs, kwargs: e.remoteKwargs, tb: e.remoteTraceback }).toEqual({
      class: expected.class,
      module: expected.module,
      message: expected.message,
      args: expected.args,
      kwargs: expected.kwargs,
      tb: expected.tb,
    });
    expect(e.message).toBe(`Remote error: ${expected.class} ${expected.message}`);
    expect(e.details).toEqual({ remote_class: expected.class, remote_module: expected.module });
  });

  test('failure keys captured from Python are in the order encodeFailure writes', () => {
    const [, m] = captured[0] ?? [];
    expect(m).toBeDefined();
    const keys = Object.keys(JSON.parse((m?.oslo_message as { failure: string }).failure));
    expect(keys).toEqual(Object.keys(JSON.parse(encodeFailure(builtinFailure('X', 'y')))));
  });
});

describe('decodeFailure → error code', () => {
  const f = (o: Record<string, unknown>): string => JSON.stringify({ tb: [], args: [], kwargs: {}, ...o });
  test.each<[string, string, ErrorCode]>([
    ['NoSuchMethod', f({ class: 'NoSuchMethod', module: DISPATCHER_MODULE, message: 'm' }), 'ERR_NO_SUCH_METHOD'],
    ['UnsupportedVersion', f({ class: 'UnsupportedVersion', module: DISPATCHER_MODULE, message: 'm' }), 'ERR_UNSUPPORTED_VERSION'],
    ['NoSuchMethod from another module', f({ class: 'NoSuchMethod', module: 'elsewhere', message: 'm' }), 'ERR_RPC_REMOTE'],
    ['our class with its code', f({ class: 'InstanceNotFound', module: BRIDGE_EXCEPTION_MODULE, message: 'm', kwargs: { code: 'ERR_INSTANCE_NOT_FOUND' } }), 'ERR_INSTANCE_NOT_FOUND'],
    ['our module with an unknown code', f({ class: 'X', module: BRIDGE_EXCEPTION_MODULE, message: 'm', kwargs: { code: 'ERR_NOPE' } }), 'ERR_RPC_REMOTE'],
    ['our module with an HTTP-like numeric code', f({ class: 'X', module: BRIDGE_EXCEPTION_MODULE, message: 'm', kwargs: { code: 409 } }), 'ERR_RPC_REMOTE'],
    ['a code from a foreign module is not trusted', f({ class: 'X', module: 'nova.exception', message: 'm', kwargs: { code: 'ERR_CONFLICT' } }), 'ERR_RPC_REMOTE'],
    ['builtin', f({ class: 'ValueError', module: 'builtins', message: 'm' }), 'ERR_RPC_REMOTE'],
    ['toString is not a code', f({ class: 'X', module: BRIDGE_EXCEPTION_MODULE, message: 'm', kwargs: { code: 'toString' } }), 'ERR_RPC_REMOTE'],
  ])('%s', (_name, failure, code) => {
    expect(decodeFailure(failure).code).toBe(code);
  });

  test('an unparsable failure still yields a RemoteRpcError that says so', () => {
    const e = decodeFailure('{not json');
    expect(e.code).toBe('ERR_RPC_REMOTE');
    expect(e.remoteClass).toBe('RemoteError');
    expect(e.remoteMessage).toContain('unparsable failure: {not json');
  });

  test('the minimum Python accepts (class, module, message) decodes with defaults', () => {
    const e = decodeFailure('{"class": "C", "module": "m", "message": "x"}');
    expect([e.remoteArgs, e.remoteKwargs, e.remoteTraceback]).toEqual([[], {}, []]);
  });
});

describe('exceptionClassForCode', () => {
  test.each<[ErrorCode, string]>([
    ['ERR_INSTANCE_NOT_FOUND', 'InstanceNotFound'],
    ['ERR_DOCKER', 'Docker'],
    ['ERR_RPC_TIMEOUT', 'RpcTimeout'],
    ['ERR_POWER_OFF_FAILED', 'PowerOffFailed'],
    ['ERR_INTERNAL', 'Internal'],
  ])('%s → %s', (code, cls) => {
    expect(exceptionClassForCode(code)).toBe(cls);
  });

  test('distinct codes give distinct class names', () => {
    const names = Object.keys(ERROR_CODES).map((c) => exceptionClassForCode(c as ErrorCode));
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('bridgeFailureMapper', () => {
  test('a BridgeError becomes nova_docker_bridge.exception.<Class> with code, fault and details', () => {
    const f = bridgeFailureMapper(new BridgeError('ERR_INSTANCE_NOT_FOUND', 'no container for i-1', { details: { instance_uuid: 'i-1' } }));
    expect(f).toEqual({
      module: BRIDGE_EXCEPTION_MODULE,
      class: 'InstanceNotFound',
      message: 'no container for i-1',
      kwargs: { code: 'ERR_INSTANCE_NOT_FOUND', fault: 'client', instance_uuid: 'i-1' },
    });
  });

  test('anything else becomes Internal (ERR_INTERNAL)', () => {
    expect(bridgeFailureMapper(new TypeError('oops'))).toMatchObject({ class: 'Internal', message: 'oops', kwargs: { code: 'ERR_INTERNAL', fault: 'server' } });
    expect(bridgeFailureMapper('a string')).toMatchObject({ class: 'Internal', message: 'a string' });
  });

  test('details cannot shadow code/fault, and a "message" detail is renamed (Python would get message twice)', () => {
    const f = bridgeFailureMapper(new BridgeError('ERR_DOCKER', 'engine said no', { details: { code: 409, fault: 'x', message: 'conflict', status: 409 } }));
    expect(f.kwargs).toEqual({ code: 'ERR_DOCKER', fault: 'server', detail_code: 409, detail_fault: 'x', detail_message: 'conflict', status: 409 });
    expect(decodeFailure(encodeFailure(f)).code).toBe('ERR_DOCKER');
  });
});
