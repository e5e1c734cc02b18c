"""Bus failures -> Nova exceptions, with real oslo.messaging and Nova classes.

Remote failures are rebuilt exactly as Nova's transport rebuilds them
(oslo_messaging's deserialize_remote_exception with Nova's
allowed_remote_exmods) from the failure JSON the service sends.
"""
import json
import unittest

import _path  # noqa: F401

import oslo_messaging
from oslo_messaging._drivers import common as rpc_common

from nova import exception
from nova import rpc as nova_rpc

from nova.virt.docker_bridge import errors  # noqa: E402

CALL = errors.BusFailure('docker_bridge', 'compute-1', 60, 30)


def remote(module, cls, message, kwargs=None):
    """What the caller raises for a failure reply from the service."""
    failure = json.dumps({'class': cls, 'module': module, 'message': message,
                          'tb': [], 'args': [message],
                          'kwargs': kwargs or {}})
    return rpc_common.deserialize_remote_exception(
        failure, nova_rpc.get_allowed_exmods())


class RemoteNovaExceptions(unittest.TestCase):

    def test_pass_through_unchanged(self):
        exc = remote('nova.exception', 'InstanceDeployFailure', 'no image',
                     {'code': 500, 'reason': 'no image'})
        self.assertIsInstance(exc, exception.InstanceDeployFailure)
        self.assertIs(errors.translate('spawn', exc, CALL), exc)
        self.assertEqual(exc.format_message(), 'no image')

    def test_instance_not_found_keeps_its_class(self):
        exc = remote('nova.exception', 'InstanceNotFound', 'gone',
                     {'code': 404, 'instance_id': 'u'})
        out = errors.translate('get_info', exc, CALL)
        self.assertIsInstance(out, exception.InstanceNotFound)

    def test_node_queries_become_not_ready(self):
        exc = remote('nova.exception', 'NovaException', 'docker is down')
        for op in ('get_available_resource', 'init_host', 'list_instances',
                   'list_instance_uuids'):
            out = errors.translate(op, exc, CALL)
            self.assertIsInstance(out, exception.VirtDriverNotReady, op)
            self.assertIn('docker is down', out.format_message())

    def test_remote_not_ready_stays(self):
        exc = remote('nova.exception', 'VirtDriverNotReady', 'engine down')
        self.assertIs(errors.translate('get_available_resource', exc, CALL), exc)

    def test_not_implemented_passes(self):
        exc = remote('builtins', 'NotImplementedError', 'no snapshots')
        self.assertIsInstance(exc, NotImplementedError)
        self.assertIs(errors.translate('snapshot', exc, CALL), exc)


class DispatcherAndUnknownModules(unittest.TestCase):

    def test_no_such_method_is_not_implemented(self):
        exc = remote('oslo_messaging.rpc.dispatcher', 'NoSuchMethod',
                     'Endpoint does not support RPC method snapshot')
        self.assertIsInstance(exc, oslo_messaging.RemoteError)
        out = errors.translate('snapshot', exc, CALL)
        self.assertIsInstance(out, NotImplementedError)
        self.assertIn('does not implement snapshot', str(out))

    def test_unsupported_version_names_the_service(self):
        exc = remote('oslo_messaging.rpc.dispatcher', 'UnsupportedVersion',
                     'Endpoint does not support RPC version 1.0')
        out = errors.translate('power_on', exc, CALL)
        self.assertIsInstance(out, exception.InstancePowerOnFailure)
        self.assertIn('docker_bridge.compute-1', out.format_message())

    def test_bridge_module_classes_map_by_name(self):
        exc = remote('nova_docker_bridge.exception', 'InstanceNotFound', 'gone')
        self.assertIsInstance(errors.translate('destroy', exc, CALL,
                                               instance_uuid='u'),
                              exception.InstanceNotFound)
        exc = remote('nova_docker_bridge.exception', 'InvalidArgument', 'bad')
        self.assertIsInstance(errors.translate('spawn', exc, CALL),
                              exception.InvalidInput)
        exc = remote('nova_docker_bridge.exception', 'NotSupported', 'nope')
        self.assertIsInstance(errors.translate('pause', exc, CALL),
                              NotImplementedError)

    def test_other_remote_error_per_operation(self):
        exc = remote('somewhere.else', 'Boom', 'it broke')
        out = errors.translate('spawn', exc, CALL)
        self.assertIsInstance(out, exception.InstanceDeployFailure)
        self.assertEqual(out.format_message(),
                         'Failed to deploy instance: Boom: it broke')


class BusFailures(unittest.TestCase):

    def test_timeout_per_operation(self):
        cases = {
            'spawn': exception.InstanceDeployFailure,
            'destroy': exception.InstanceTerminationFailure,
            'power_off': exception.InstancePowerOffFailure,
            'power_on': exception.InstancePowerOnFailure,
            'reboot': exception.InstanceRebootFailure,
            'suspend': exception.InstanceSuspendFailure,
            'resume': exception.InstanceResumeFailure,
            'pause': exception.NovaException,
            'get_info': exception.NovaException,
            'get_host_uptime': exception.ComputeServiceUnavailable,
            'get_console_output': exception.ConsoleNotAvailable,
            'get_available_resource': exception.VirtDriverNotReady,
        }
        for op, cls in cases.items():
            out = errors.translate(op, oslo_messaging.MessagingTimeout('t'),
                                   CALL)
            self.assertIsInstance(out, cls, op)
            msg = out.format_message()
            # Nova's fault shows this text: it must say what and where.
            self.assertIn(op, msg)
            self.assertIn('docker_bridge.compute-1', msg)
            self.assertIn('60 s, or 30 s without a heartbeat', msg)

    def test_delivery_failure(self):
        exc = oslo_messaging.MessageDeliveryFailure('broker gone')
        out = errors.translate('reboot', exc, CALL)
        self.assertIsInstance(out, exception.InstanceRebootFailure)
        self.assertIn('broker gone', out.format_message())

    def test_own_bugs_are_not_hidden(self):
        exc = TypeError('bad call')
        self.assertIs(errors.translate('spawn', exc, CALL), exc)


if __name__ == '__main__':
    unittest.main()
