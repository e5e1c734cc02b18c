"""Exceptions the nova-docker-bridge compute service raises over the RPC bus.

A Python oslo.messaging caller that lists ``nova_docker_bridge.exception`` in
``allowed_remote_exmods`` gets these re-raised (as ``<Class>_Remote``
subclasses); without it, it gets ``oslo_messaging.RemoteError``. One class per
stable error code of ``src/errors/bridge-error.ts``; a unit test keeps the two
lists equal.
"""


class BridgeError(Exception):
    """Base class. ``kwargs`` carries ``code``, ``fault`` and details."""

    code = 'ERR_INTERNAL'

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        self.code = kwargs.get('code', self.code)
        self.fault = kwargs.get('fault')
        super().__init__(message if message is not None else self.code)


def _define(name, code):
    globals()[name] = type(name, (BridgeError,), {'code': code})


for _name, _code in (
    ('ConfigInvalid', 'ERR_CONFIG_INVALID'),
    ('InvalidArgument', 'ERR_INVALID_ARGUMENT'),
    ('MalformedMessage', 'ERR_MALFORMED_MESSAGE'),
    ('NoSuchMethod', 'ERR_NO_SUCH_METHOD'),
    ('UnsupportedVersion', 'ERR_UNSUPPORTED_VERSION'),
    ('InstanceNotFound', 'ERR_INSTANCE_NOT_FOUND'),
    ('ImageNotFound', 'ERR_IMAGE_NOT_FOUND'),
    ('InvalidImage', 'ERR_INVALID_IMAGE'),
    ('Conflict', 'ERR_CONFLICT'),
    ('NotSupported', 'ERR_NOT_SUPPORTED'),
    ('Unauthorized', 'ERR_UNAUTHORIZED'),
    ('RpcTimeout', 'ERR_RPC_TIMEOUT'),
    ('RpcRemote', 'ERR_RPC_REMOTE'),
    ('BusUnavailable', 'ERR_BUS_UNAVAILABLE'),
    ('DockerUnavailable', 'ERR_DOCKER_UNAVAILABLE'),
    ('Docker', 'ERR_DOCKER'),
    ('GlanceUnavailable', 'ERR_GLANCE_UNAVAILABLE'),
    ('Glance', 'ERR_GLANCE'),
    ('VifPlugFailed', 'ERR_VIF_PLUG_FAILED'),
    ('DeployFailed', 'ERR_DEPLOY_FAILED'),
    ('PowerOffFailed', 'ERR_POWER_OFF_FAILED'),
    ('Timeout', 'ERR_TIMEOUT'),
    ('Aborted', 'ERR_ABORTED'),
    ('ShuttingDown', 'ERR_SHUTTING_DOWN'),
    ('Internal', 'ERR_INTERNAL'),
):
    _define(_name, _code)
