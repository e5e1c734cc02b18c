"""``[docker_bridge]`` options in nova.conf.

Registered on Nova's own CONF when the driver module is imported. oslo.config
accepts options registered after the config files were parsed, so nova-compute
sees the values from its files even though the driver loads late.
"""
from oslo_config import cfg

import nova.conf

CONF = nova.conf.CONF

GROUP = cfg.OptGroup(
    'docker_bridge',
    title='Docker bridge compute driver',
    help='How the docker_bridge driver reaches the nova-docker-bridge '
         'compute service on the RPC bus.')

OPTS = [
    cfg.StrOpt(
        'topic',
        default='docker_bridge',
        help='RPC topic the compute service consumes. Calls go to '
             '"<topic>.<[DEFAULT] host>" on the control exchange '
             '("nova"); must equal [bridge] topic of the service.'),
    cfg.StrOpt(
        'transport_url',
        secret=True,
        help='Bus of the compute service. Unset (the default): Nova\'s own '
             '[DEFAULT] transport_url and transport, so nothing else needs '
             'credentials.'),
    cfg.IntOpt(
        'rpc_timeout',
        default=60,
        min=1,
        help='Seconds to wait for the reply to a quick call (get_info, '
             'list_instances, instance_exists, get_available_resource, '
             'init_host).'),
    cfg.IntOpt(
        'api_call_timeout',
        default=45,
        min=1,
        help='Seconds to wait for calls that nova-api itself waits on with '
             '[DEFAULT] rpc_response_timeout (console output, host uptime). '
             'Keep it below rpc_response_timeout so the user gets our error, '
             'not a bare API timeout.'),
    cfg.IntOpt(
        'probe_timeout',
        default=10,
        min=1,
        help='Seconds without a reply or heartbeat after which a query '
             'gives up and the service counts as unreachable: node and '
             'resource queries then report the driver "not ready" (Nova keeps '
             'the compute node and its allocations instead of deleting them) '
             'and the nova-compute service is forced down and disabled with '
             'an "AUTO:" reason (the scheduler skips the host; `openstack '
             'compute service list` shows it down) until the service answers '
             'again.'),
    cfg.IntOpt(
        'init_host_timeout',
        default=300,
        min=0,
        help='At nova-compute start, seconds to wait for the service to '
             'answer init_host before giving up (nova-compute then exits, as '
             'it does when libvirtd is down). 0: try once.'),
    cfg.IntOpt(
        'call_monitor_timeout',
        default=30,
        min=2,
        help='Liveness window for long calls (spawn, destroy, power and '
             'reboot operations): the service sends a heartbeat every half '
             'window while it works, and a call without one for this long '
             'fails. Detects a dead service without bounding the work.'),
    cfg.IntOpt(
        'operation_timeout',
        default=1800,
        min=10,
        help='Upper bound in seconds for a long call (image download and '
             'container start in spawn, ...). Nova has no build timeout of '
             'its own ([DEFAULT] instance_build_timeout = 0).'),
]


def register_opts(conf=CONF):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    """oslo-config-generator hook."""
    return {GROUP: OPTS}


register_opts()
