import { describe, expect, it } from 'vitest';
import { BridgeError, type ErrorCode } from '../../../src/errors/bridge-error.js';
import { codeForDockerStatus, translateDockerError, type DockerResourceKind } from '../../../src/docker/translate-docker-error.js';

/** A docker-modem HTTP error: status code plus Docker's JSON body. */
function httpError(statusCode: number, message = 'whatever the Engine says'): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message}`), { statusCode, json: { message } });
}
function sysError(code: string): Error {
  return Object.assign(new Error(`connect ${code} /var/run/docker.sock`), { code, errno: -1, syscall: 'connect' });
}

describe('codeForDockerStatus', () => {
  const table: Array<[number, DockerResourceKind, ErrorCode]> = [
    [400, 'container', 'ERR_INVALID_ARGUMENT'],
    [401, 'engine', 'ERR_UNAUTHORIZED'],
    [403, 'container', 'ERR_UNAUTHORIZED'],
    [404, 'container', 'ERR_INSTANCE_NOT_FOUND'],
    [404, 'exec', 'ERR_INSTANCE_NOT_FOUND'],
    [404, 'image', 'ERR_IMAGE_NOT_FOUND'],
    [404, 'engine', 'ERR_DOCKER'],
    [409, 'container', 'ERR_CONFLICT'],
    [304, 'container', 'ERR_CONFLICT'],
    [500, 'container', 'ERR_DOCKER'],
    [503, 'engine', 'ERR_DOCKER'],
    [418, 'image', 'ERR_DOCKER'],
  ];
  it.each(table)('%i on %s → %s', (status, kind, code) => {
    expect(codeForDockerStatus(status, kind)).toBe(code);
  });
});

describe('translateDockerError', () => {
  const ctx = { operation: 'start container nova-x', kind: 'container' as const, target: 'nova-x' };

  it.each([
    ['ECONNREFUSED'],
    ['ENOENT'],
    ['EPIPE'],
    ['ECONNRESET'],
    ['ETIMEDOUT'],
    ['EACCES'],
    ['EHOSTUNREACH'],
  ])('socket error %s → ERR_DOCKER_UNAVAILABLE', (errno) => {
    const e = translateDockerError(sysError(errno), ctx);
    expect(e.code).toBe('ERR_DOCKER_UNAVAILABLE');
    expect(e.retryable).toBe(true);
    expect(e.message).toContain(errno);
    expect(e.details).toMatchObject({ errno, operation: ctx.operation, target: 'nova-x' });
  });

  it('a socket error wrapped as cause or in an AggregateError is found', () => {
    expect(translateDockerError(new Error('x', { cause: sysError('ECONNREFUSED') }), ctx).code).toBe('ERR_DOCKER_UNAVAILABLE');
    expect(translateDockerError(new AggregateError([sysError('ECONNREFUSED')], 'all failed'), ctx).code).toBe('ERR_DOCKER_UNAVAILABLE');
  });

  it('decides by status code, never by message text', () => {
    // A 500 whose text says "no such container" is still an Engine failure.
    expect(translateDockerError(httpError(500, 'No such container: nova-x'), ctx).code).toBe('ERR_DOCKER');
    // A 404 with unrelated text is still not-found.
    expect(translateDockerError(httpError(404, 'server error'), ctx).code).toBe('ERR_INSTANCE_NOT_FOUND');
  });

  it('keeps the Engine\'s message and the status in details', () => {
    const e = translateDockerError(httpError(409, 'Container abc is not running'), ctx);
    expect(e.code).toBe('ERR_CONFLICT');
    expect(e.message).toBe('start container nova-x: Docker Engine answered 409: Container abc is not running');
    expect(e.details).toMatchObject({ http_status: 409 });
  });

  it('aborts: deadline → ERR_TIMEOUT, cancellation → ERR_ABORTED', () => {
    const abort = Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
    expect(translateDockerError(abort, { ...ctx, aborted: 'timeout' }).code).toBe('ERR_TIMEOUT');
    expect(translateDockerError(abort, { ...ctx, aborted: 'cancelled' }).code).toBe('ERR_ABORTED');
    expect(translateDockerError(abort, ctx).code).toBe('ERR_ABORTED');
  });

  it('TLS failures name the certificate options', () => {
    const e = translateDockerError(sysError('ERR_TLS_CERT_ALTNAME_INVALID'), ctx);
    expect(e.code).toBe('ERR_DOCKER_UNAVAILABLE');
    expect(e.message).toContain('ca_file');
    expect(translateDockerError(sysError('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), ctx).code).toBe('ERR_DOCKER_UNAVAILABLE');
  });

  it('BridgeErrors pass through; anything else is ERR_DOCKER with the cause kept', () => {
    const b = new BridgeError('ERR_INVALID_ARGUMENT', 'bad');
    expect(translateDockerError(b, ctx)).toBe(b);
    const weird = new Error('something odd');
    const e = translateDockerError(weird, ctx);
    expect(e.code).toBe('ERR_DOCKER');
    expect(e.cause).toBe(weird);
    expect(translateDockerError('a string', ctx).code).toBe('ERR_DOCKER');
  });

  it('reads a body that arrived as a Buffer', () => {
    const err = Object.assign(new Error('(HTTP code 400)'), { statusCode: 400, json: Buffer.from('invalid reference format') });
    const e = translateDockerError(err, { operation: 'inspect image x', kind: 'image' });
    expect(e.code).toBe('ERR_INVALID_ARGUMENT');
    expect(e.message).toContain('invalid reference format');
  });
});
