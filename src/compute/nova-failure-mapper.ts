/**
 * BridgeError → the Nova exception a Python caller re-raises.
 *
 * The shim's oslo.messaging client rebuilds `nova.exception.<Class>(*args,
 * **kwargs)` (nova.exception must be in its allowed_remote_exmods); unknown
 * modules degrade to RemoteError. Every class below is a NovaException, whose
 * constructor takes the message as args[0] and accepts any kwargs.
 *
 * kwargs carry:
 * - `code`: an integer, because Nova stores `exc.kwargs['code']` as the
 *   instance fault's HTTP-like code (InstanceFault.code is an IntegerField);
 * - `error_code`: this project's stable code (ERR_…), for logs and the shim;
 * - `instance_uuid` / `image_id` / `cause_code` / `reason` when known.
 *
 * "Not supported" becomes the builtin NotImplementedError, which oslo always
 * allows and Nova already handles per method (e.g. 501 for console output).
 */
import { BridgeError, type ErrorCode } from '../errors/bridge-error.js';
import type { FailureMapper, RemoteFailure } from '../rpc/rpc-endpoint.js';

export const NOVA_EXCEPTION_MODULE = 'nova.exception';

/** Class per operation for failures that are not about the input or a missing object. */
const OPERATION_CLASS: Readonly<Record<string, string>> = {
  spawn: 'InstanceDeployFailure',
  power_off: 'InstancePowerOffFailure',
  power_on: 'InstancePowerOnFailure',
  reboot: 'InstanceRebootFailure',
  suspend: 'InstanceSuspendFailure',
  resume: 'InstanceResumeFailure',
};

/** Node and resource queries: Nova skips a driver that is "not ready" instead of dropping the node. */
const NOT_READY_OPERATIONS = new Set(['get_available_resource', 'init_host', 'list_instances', 'list_instance_uuids']);

interface Mapped {
  readonly cls: string;
  readonly httpCode: number;
}

function classFor(code: ErrorCode, operation: string | undefined): Mapped {
  switch (code) {
    case 'ERR_INSTANCE_NOT_FOUND':
      return { cls: 'InstanceNotFound', httpCode: 404 };
    case 'ERR_IMAGE_NOT_FOUND':
      return { cls: 'ImageNotFound', httpCode: 404 };
    case 'ERR_INVALID_IMAGE':
      return { cls: 'ImageUnacceptable', httpCode: 400 };
    case 'ERR_INVALID_ARGUMENT':
    case 'ERR_MALFORMED_MESSAGE':
      return { cls: 'InvalidInput', httpCode: 400 };
    case 'ERR_CONFLICT':
      return { cls: 'InstanceInvalidState', httpCode: 409 };
    case 'ERR_DEPLOY_FAILED':
      return { cls: 'InstanceDeployFailure', httpCode: 500 };
    case 'ERR_POWER_OFF_FAILED':
      return { cls: 'InstancePowerOffFailure', httpCode: 500 };
    case 'ERR_VIF_PLUG_FAILED':
      return { cls: 'VirtualInterfacePlugException', httpCode: 500 };
    default:
      break;
  }
  if (code === 'ERR_DOCKER_UNAVAILABLE' && operation !== undefined && NOT_READY_OPERATIONS.has(operation)) {
    return { cls: 'VirtDriverNotReady', httpCode: 500 };
  }
  const byOperation = operation === undefined ? undefined : OPERATION_CLASS[operation];
  return { cls: byOperation ?? 'NovaException', httpCode: 500 };
}

export const novaFailureMapper: FailureMapper = (err: unknown): RemoteFailure => {
  const e = err instanceof BridgeError ? err : new BridgeError('ERR_INTERNAL', err instanceof Error ? err.message : String(err), { cause: err });
  const message = e.message;
  if (e.code === 'ERR_NOT_SUPPORTED') {
    return { module: 'builtins', class: 'NotImplementedError', message, args: [message] };
  }
  const operation = typeof e.details.operation === 'string' ? e.details.operation : undefined;
  const { cls, httpCode } = classFor(e.code, operation);
  const kwargs: Record<string, unknown> = { code: httpCode, error_code: e.code, reason: message };
  const uuid = e.details.instance_uuid;
  if (typeof uuid === 'string') {
    kwargs.instance_uuid = uuid;
    if (cls === 'InstanceNotFound') kwargs.instance_id = uuid;
  }
  if (typeof e.details.image_id === 'string') kwargs.image_id = e.details.image_id;
  if (typeof e.details.cause_code === 'string') kwargs.cause_code = e.details.cause_code;
  return { module: NOVA_EXCEPTION_MODULE, class: cls, message, args: [message], kwargs };
};
