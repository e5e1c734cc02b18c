"""Failures of a bus call -> the Nova exceptions nova-compute acts on.

The compute service already answers with ``nova.exception.<Class>`` (message
as args[0], ``reason``/``instance_uuid``/``error_code`` as kwargs) or the
builtin ``NotImplementedError``; oslo.messaging re-raises those as
``<Class>_Remote`` subclasses because ``nova.exception`` is in Nova's
allowed_remote_exmods. They pass through unchanged. This module covers the
rest:

* the bus itself failed (no reply in time, broker trouble): the message names
  the operation, the topic and the timeout, because for any exception that is
  not a NovaException Nova's fault would read just "MessagingTimeout";
* oslo's own dispatcher errors (NoSuchMethod from an older service) and
  failures from modules the transport does not allow (RemoteError);
* node and resource queries, where any failure must become
  VirtDriverNotReady: Nova then skips the periodic update instead of deleting
  the compute node and its allocations.
"""
import oslo_messaging

from nova import exception

# Operations whose failures make the whole node "not ready".
NOT_READY_OPERATIONS = frozenset((
    'init_host', 'get_available_resource', 'list_instances',
    'list_instance_uuids'))

# Exception class for a failed operation, when the remote side did not pick a
# Nova class itself (bus failure, RemoteError). The classes take ``reason``.
_OPERATION_FAILURE = {
    'spawn': exception.InstanceDeployFailure,
    'destroy': exception.InstanceTerminationFailure,
    'power_off': exception.InstancePowerOffFailure,
    'power_on': exception.InstancePowerOnFailure,
    'reboot': exception.InstanceRebootFailure,
    'suspend': exception.InstanceSuspendFailure,
    'resume': exception.InstanceResumeFailure,
    'live_resize': exception.ResizeError,
}

# nova_docker_bridge.exception classes (a service using its generic failure
# mapper) that have a direct Nova equivalent; they arrive as RemoteError
# because that module is not in Nova's allowed_remote_exmods.
_BRIDGE_CLASS_TO_NOVA = {
    'InstanceNotFound': lambda msg, uuid: exception.InstanceNotFound(
        msg, instance_id=uuid),
    'ImageNotFound': lambda msg, uuid: exception.ImageNotFound(
        msg, image_id=None),
    'InvalidImage': lambda msg, uuid: exception.ImageUnacceptable(
        msg, image_id=None, reason=msg),
    'InvalidArgument': lambda msg, uuid: exception.InvalidInput(
        msg, reason=msg),
}


class BusFailure(object):
    """Describes where a call went, for messages."""

    def __init__(self, topic, server, timeout, call_monitor_timeout=None):
        self.topic = topic
        self.server = server
        self.timeout = timeout
        self.call_monitor_timeout = call_monitor_timeout

    def where(self):
        return ('the nova-docker-bridge compute service (topic %s.%s)'
                % (self.topic, self.server))

    def limits(self):
        if self.call_monitor_timeout:
            return ('%s s, or %s s without a heartbeat'
                    % (self.timeout, self.call_monitor_timeout))
        return '%s s' % self.timeout


def _remote_class(exc):
    name = type(exc).__name__
    return name[:-len('_Remote')] if name.endswith('_Remote') else name


def bus_failure(operation, message, call):
    """The exception for an operation the service could not be asked to do."""
    if operation == 'get_host_uptime':
        # nova-api (hypervisor list/show, microversion 2.88+) reports
        # "uptime: null" for this one instead of failing the whole request.
        return exception.ComputeServiceUnavailable(message, host=call.server)
    if operation == 'get_console_output':
        # nova-api turns this into 404 with our message instead of a 500.
        return exception.ConsoleNotAvailable(message)
    cls = _OPERATION_FAILURE.get(operation)
    if cls is None:
        return exception.NovaException(message)
    return cls(reason=message)


def translate(operation, exc, call, instance_uuid=None):
    """The exception to raise instead of ``exc`` (may be ``exc`` itself).

    :param operation: driver method name (the bus method)
    :param exc: what the RPC call raised
    :param call: a BusFailure describing the call
    :param instance_uuid: for messages and InstanceNotFound
    """
    not_ready = operation in NOT_READY_OPERATIONS

    if isinstance(exc, exception.NovaException):
        if not_ready and not isinstance(exc, exception.VirtDriverNotReady):
            return exception.VirtDriverNotReady(
                'Virt driver is not ready: %s failed: %s'
                % (operation, exc.format_message()))
        return exc

    if isinstance(exc, NotImplementedError):
        return exc

    if isinstance(exc, oslo_messaging.MessagingTimeout):
        msg = ('no reply from %s to %s within %s (is the service running '
               'with [DEFAULT] host = %s on the same bus?)'
               % (call.where(), operation, call.limits(), call.server))
        if not_ready:
            return exception.VirtDriverNotReady('Virt driver is not ready: '
                                                + msg)
        return bus_failure(operation, msg, call)

    if isinstance(exc, oslo_messaging.RemoteError):
        kind = exc.exc_type or 'RemoteError'
        value = exc.value or ''
        if kind == 'NoSuchMethod':
            return NotImplementedError(
                '%s does not implement %s (%s)' % (call.where(), operation,
                                                   value))
        if kind == 'UnsupportedVersion':
            msg = ('%s does not serve RPC version 1.0 of %s: %s'
                   % (call.where(), operation, value))
        else:
            if kind == 'NotSupported':
                return NotImplementedError(value)
            to_nova = _BRIDGE_CLASS_TO_NOVA.get(kind)
            if to_nova is not None and not not_ready:
                return to_nova(value, instance_uuid)
            msg = '%s: %s' % (kind, value)
        if not_ready:
            return exception.VirtDriverNotReady('Virt driver is not ready: '
                                                + msg)
        return bus_failure(operation, msg, call)

    if isinstance(exc, oslo_messaging.MessagingException):
        msg = ('bus failure calling %s for %s: %s: %s'
               % (call.where(), operation, _remote_class(exc), exc))
        if not_ready:
            return exception.VirtDriverNotReady('Virt driver is not ready: '
                                                + msg)
        return bus_failure(operation, msg, call)

    # Anything else is a bug on this side: let Nova log the traceback.
    return exc
