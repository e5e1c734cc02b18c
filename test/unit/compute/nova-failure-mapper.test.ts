import { describe, expect, it } from 'vitest';
import { novaFailureMapper } from '../../../src/compute/nova-failure-mapper.js';
import { BridgeError, type ErrorCode } from '../../../src/errors/bridge-error.js';

const UUID = '0b6c2d5e-1111-4e2b-8c55-3a2d1c0e9f00';

describe('novaFailureMapper', () => {
  const table: Array<[ErrorCode, string | undefined, string, number]> = [
    ['ERR_INSTANCE_NOT_FOUND', 'get_info', 'InstanceNotFound', 404],
    ['ERR_INSTANCE_NOT_FOUND', 'power_off', 'InstanceNotFound', 404],
    ['ERR_IMAGE_NOT_FOUND', 'spawn', 'ImageNotFound', 404],
    ['ERR_INVALID_IMAGE', 'spawn', 'ImageUnacceptable', 400],
    ['ERR_INVALID_ARGUMENT', 'spawn', 'InvalidInput', 400],
    ['ERR_MALFORMED_MESSAGE', undefined, 'InvalidInput', 400],
    ['ERR_CONFLICT', 'pause', 'InstanceInvalidState', 409],
    ['ERR_DEPLOY_FAILED', 'spawn', 'InstanceDeployFailure', 500],
    ['ERR_POWER_OFF_FAILED', 'power_off', 'InstancePowerOffFailure', 500],
    ['ERR_VIF_PLUG_FAILED', 'power_on', 'VirtualInterfacePlugException', 500],
    ['ERR_DOCKER', 'spawn', 'InstanceDeployFailure', 500],
    ['ERR_DOCKER', 'power_on', 'InstancePowerOnFailure', 500],
    ['ERR_DOCKER', 'reboot', 'InstanceRebootFailure', 500],
    ['ERR_TIMEOUT', 'reboot', 'InstanceRebootFailure', 500],
    ['ERR_DOCKER', 'suspend', 'InstanceSuspendFailure', 500],
    ['ERR_DOCKER', 'resume', 'InstanceResumeFailure', 500],
    ['ERR_DOCKER', 'pause', 'NovaException', 500],
    ['ERR_DOCKER_UNAVAILABLE', 'get_available_resource', 'VirtDriverNotReady', 500],
    ['ERR_DOCKER_UNAVAILABLE', 'init_host', 'VirtDriverNotReady', 500],
    ['ERR_DOCKER_UNAVAILABLE', 'list_instance_uuids', 'VirtDriverNotReady', 500],
    ['ERR_DOCKER_UNAVAILABLE', 'destroy', 'NovaException', 500],
    ['ERR_DOCKER_UNAVAILABLE', 'spawn', 'InstanceDeployFailure', 500],
    ['ERR_INTERNAL', undefined, 'NovaException', 500],
  ];
  it.each(table)('%s during %s → %s (%i)', (code, operation, cls, http) => {
    const err = new BridgeError(code, 'what happened', { details: operation ? { operation } : {} });
    const f = novaFailureMapper(err);
    expect(f).toEqual({ module: 'nova.exception', class: cls, message: 'what happened', args: ['what happened'], kwargs: { code: http, error_code: code, reason: 'what happened' } });
  });

  it('kwargs.code is always an integer (Nova stores it as the instance fault code)', () => {
    for (const [code, op] of table) expect(Number.isInteger(novaFailureMapper(new BridgeError(code, 'm', { details: op ? { operation: op } : {} })).kwargs?.code)).toBe(true);
  });

  it('adds instance and image ids when known', () => {
    expect(novaFailureMapper(new BridgeError('ERR_INSTANCE_NOT_FOUND', 'gone', { details: { instance_uuid: UUID } })).kwargs).toEqual({
      code: 404,
      error_code: 'ERR_INSTANCE_NOT_FOUND',
      reason: 'gone',
      instance_uuid: UUID,
      instance_id: UUID,
    });
    expect(novaFailureMapper(new BridgeError('ERR_IMAGE_NOT_FOUND', 'no image', { details: { image_id: 'img' } })).kwargs).toMatchObject({ image_id: 'img' });
    expect(novaFailureMapper(new BridgeError('ERR_DEPLOY_FAILED', 'spawn failed', { details: { cause_code: 'ERR_DOCKER_UNAVAILABLE' } })).kwargs).toMatchObject({
      code: 500,
      error_code: 'ERR_DEPLOY_FAILED',
      cause_code: 'ERR_DOCKER_UNAVAILABLE',
    });
  });

  it('"not supported" is the builtin NotImplementedError Nova already handles', () => {
    expect(novaFailureMapper(new BridgeError('ERR_NOT_SUPPORTED', 'no snapshots'))).toEqual({ module: 'builtins', class: 'NotImplementedError', message: 'no snapshots', args: ['no snapshots'] });
  });

  it('anything that is not a BridgeError is a NovaException with its message', () => {
    expect(novaFailureMapper(new TypeError('boom'))).toMatchObject({ module: 'nova.exception', class: 'NovaException', message: 'boom', kwargs: { code: 500, error_code: 'ERR_INTERNAL' } });
    expect(novaFailureMapper('odd')).toMatchObject({ class: 'NovaException', message: 'odd' });
  });
});
