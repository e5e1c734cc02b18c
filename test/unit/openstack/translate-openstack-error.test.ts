import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/errors/bridge-error.js';
import {
  codeForOpenStackStatus,
  openStackErrorMessage,
  translateOpenStackStatus,
  translateOpenStackTransportError,
} from '../../../src/openstack/translate-openstack-error.js';

const ctx = { operation: 'show image x', service: 'glance' as const, url: 'http://127.0.0.1:19292/v2/images/x' };

describe('codeForOpenStackStatus', () => {
  it.each([
    [400, 'glance', undefined, 'ERR_INVALID_ARGUMENT'],
    [401, 'glance', undefined, 'ERR_UNAUTHORIZED'],
    [403, 'keystone', undefined, 'ERR_UNAUTHORIZED'],
    [404, 'glance', 'ERR_IMAGE_NOT_FOUND', 'ERR_IMAGE_NOT_FOUND'],
    [404, 'glance', undefined, 'ERR_GLANCE'],
    [404, 'keystone', undefined, 'ERR_CONFIG_INVALID'],
    [409, 'glance', undefined, 'ERR_CONFLICT'],
    [410, 'glance', 'ERR_IMAGE_NOT_FOUND', 'ERR_IMAGE_NOT_FOUND'],
    [413, 'glance', undefined, 'ERR_INVALID_ARGUMENT'],
    [415, 'glance', undefined, 'ERR_INVALID_ARGUMENT'],
    [500, 'glance', undefined, 'ERR_GLANCE'],
    [503, 'glance', undefined, 'ERR_GLANCE_UNAVAILABLE'],
    [302, 'glance', undefined, 'ERR_GLANCE'],
  ] as const)('%i from %s (404 code %s) → %s', (status, service, nf, code) => {
    expect(codeForOpenStackStatus(status, service, nf)).toBe(code);
  });
});

describe('openStackErrorMessage', () => {
  it.each([
    ['Glance JSON', '{"message": "No image found with ID 0000<br /><br />\\n\\n\\n", "code": "404 Not Found", "title": "Not Found"}', 'No image found with ID 0000'],
    ['Keystone JSON', '{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}', 'The request you have made requires authentication.'],
    [
      'webob HTML',
      '<html>\n <head>\n  <title>401 Unauthorized</title>\n </head>\n <body>\n  <h1>401 Unauthorized</h1>\n  This server could not verify.<br /><br />\n\n\n\n </body>\n</html>',
      '401 Unauthorized This server could not verify.',
    ],
    ['plain text', 'boom\n', 'boom'],
    ['empty', '  ', ''],
    ['broken JSON', '{"message": ', '{"message":'],
  ])('%s', (_name, body, expected) => {
    expect(openStackErrorMessage(body)).toBe(expected);
  });

  it('cuts long messages', () => {
    expect(openStackErrorMessage('x'.repeat(2000))).toHaveLength(500);
  });
});

describe('translateOpenStackStatus', () => {
  it('keeps status, request id and Glance message', () => {
    const err = translateOpenStackStatus(404, { 'x-openstack-request-id': 'req-1' }, '{"message":"No image found<br /><br />"}', { ...ctx, notFoundCode: 'ERR_IMAGE_NOT_FOUND' });
    expect(err.code).toBe('ERR_IMAGE_NOT_FOUND');
    expect(err.message).toBe('show image x: Glance answered 404: No image found');
    expect(err.details).toEqual({ operation: 'show image x', service: 'glance', http_status: 404, request_id: 'req-1' });
  });

  it('explains that redirects are not followed', () => {
    const err = translateOpenStackStatus(301, { location: 'https://glance/v2/images/x' }, '', ctx);
    expect(err.message).toMatch(/redirects are not followed \(Location: https:\/\/glance\/v2\/images\/x\)/);
  });
});

describe('translateOpenStackTransportError', () => {
  const sysErr = (code: string): Error => Object.assign(new Error(`connect ${code}`), { code });
  it.each([
    [sysErr('ECONNREFUSED'), 'ERR_GLANCE_UNAVAILABLE'],
    [Object.assign(new Error('axios'), { code: 'ERR_NETWORK', cause: sysErr('ECONNRESET') }), 'ERR_GLANCE_UNAVAILABLE'],
    [sysErr('ENOTFOUND'), 'ERR_GLANCE_UNAVAILABLE'],
    [sysErr('DEPTH_ZERO_SELF_SIGNED_CERT'), 'ERR_GLANCE_UNAVAILABLE'],
    [sysErr('ERR_INVALID_URL'), 'ERR_CONFIG_INVALID'],
    [new Error('weird'), 'ERR_GLANCE'],
  ])('%s → %s', (err, code) => {
    expect(translateOpenStackTransportError(err, ctx).code).toBe(code);
  });

  it('passes BridgeErrors through', () => {
    const e = new BridgeError('ERR_INVALID_IMAGE', 'bad');
    expect(translateOpenStackTransportError(e, ctx)).toBe(e);
  });
});
