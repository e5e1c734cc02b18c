"""The oslo.messaging client the driver talks through.

Nova's own transport (nova.rpc.TRANSPORT: Nova's [DEFAULT] transport_url,
[oslo_messaging_rabbit] settings and allowed_remote_exmods, which include
``nova.exception``), so the shim adds no connection settings and no
credentials of its own. Under nova-compute everything here is green:
oslo.messaging waits on eventlet-patched sockets, so a call that takes minutes
blocks only the green thread that made it.
"""
import time

import oslo_messaging
from oslo_context import context as oslo_context
from oslo_log import log as logging

from nova import context as nova_context
from nova import rpc as nova_rpc

from . import errors

LOG = logging.getLogger(__name__)

RPC_VERSION = '1.0'


def _transport(url):
    if url:
        return nova_rpc.create_transport(nova_rpc.get_transport_url(url))
    if nova_rpc.TRANSPORT is None:
        # Outside nova-compute (tools, tests) nothing has called rpc.init yet.
        return nova_rpc.create_transport(nova_rpc.get_transport_url())
    return nova_rpc.TRANSPORT


def context_dict(context=None):
    """The request context as it goes on the wire (RequestContext.to_dict()).

    Driver methods without a context argument (power_off, get_info, ...) run
    inside the green thread of the request that caused them, whose context
    oslo.context keeps as "current": using it carries the request id and the
    user's token along. Periodic tasks have none: an admin context then.
    """
    if context is None:
        context = oslo_context.get_current()
    if context is None:
        context = nova_context.get_admin_context()
    return context.to_dict()


class BridgeClient(object):
    """Calls methods of the compute service serving ``topic.server``."""

    def __init__(self, conf, server):
        opts = conf.docker_bridge
        self.topic = opts.topic
        self.server = server
        target = oslo_messaging.Target(topic=opts.topic, server=server,
                                       version=RPC_VERSION)
        self._client = oslo_messaging.get_rpc_client(
            _transport(opts.transport_url), target)

    def call(self, operation, args, timeout, context=None,
             call_monitor_timeout=None, instance_uuid=None):
        """Calls ``operation`` and returns its result, or raises the Nova exception.

        :param args: the method's keyword arguments (JSON values)
        :param timeout: overall seconds to wait for the final reply
        :param call_monitor_timeout: when set, the call also fails if the
            service sends no heartbeat for this long (it sends one every half
            window while it works), so a dead service is noticed early even
            under a long overall timeout
        """
        cctx = self._client.prepare(timeout=timeout,
                                    call_monitor_timeout=call_monitor_timeout)
        started = time.monotonic()
        try:
            result = cctx.call(context_dict(context), operation, **args)
        except Exception as exc:  # noqa: BLE001 - translated or re-raised
            translated = errors.translate(
                operation, exc,
                errors.BusFailure(self.topic, self.server, timeout,
                                  call_monitor_timeout),
                instance_uuid=instance_uuid)
            LOG.debug('docker_bridge %s failed after %.3f s: %s: %s',
                      operation, time.monotonic() - started,
                      type(exc).__name__, exc)
            if translated is exc:
                raise
            raise translated from exc
        LOG.debug('docker_bridge %s took %.3f s', operation,
                  time.monotonic() - started)
        return result
