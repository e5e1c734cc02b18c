"""DockerBridgeDriver: Nova's ComputeDriver, forwarded to the compute service.

Every driver method becomes an oslo.messaging call (exchange "nova", topic
``[docker_bridge] topic``, server ``[DEFAULT] host``, version 1.0) to the
nova-docker-bridge service, which does the Docker work. The arguments are JSON
projections of Nova's objects (projection.py, docs/bus-api.md); failures come
back as Nova exceptions (errors.py). What stays here is what Nova needs to be
local:

* the node name: always ``[DEFAULT] host``, computed here, never asked for.
  When the service does not answer, node queries raise VirtDriverNotReady; an
  empty node list would make Nova delete the compute node, its resource
  provider and every allocation on it;
* the placement inventory, built from get_available_resource with Nova's own
  allocation ratios and reserved amounts;
* timeouts that outlast Nova's: power_off waits its clean-shutdown timeout
  plus a margin, long operations run under call-monitor heartbeats;
* the snapshot task-state protocol (the service uploads to Glance itself,
  with the user's token from the request context; no image data on the bus).

nova-compute is an eventlet process: nothing here may block natively. The
only waits are oslo.messaging calls on Nova's (green) transport and
eventlet-patched time.sleep.
"""
import time

import os_resource_classes as orc
from oslo_log import log as logging

import nova.conf
from nova.compute import task_states
from nova import context as nova_context
from nova import exception
from nova import objects
from nova.virt import driver
from nova.virt import hardware

from . import client as bridge_client
from . import conf as bridge_conf  # noqa: F401 - registers [docker_bridge]
from . import errors
from . import projection

CONF = nova.conf.CONF
LOG = logging.getLogger(__name__)

# A resources dict this fresh is reused: the resource tracker asks for the
# node list, then the resources, then the provider tree, within a second.
_RESOURCES_FRESH_S = 5
# The node list needs no probe when the service answered this recently.
_NODES_FRESH_S = 30
# Between init_host attempts while waiting for the service.
_INIT_RETRY_S = 2
# Prefix Nova's libvirt driver uses for automatic service disabling; an
# operator's own disable reason never starts with it, so it is never undone.
_AUTO_DISABLE_PREFIX = 'AUTO: '

_INT_RESOURCE_KEYS = ('vcpus', 'memory_mb', 'local_gb', 'vcpus_used',
                      'memory_mb_used', 'local_gb_used',
                      'hypervisor_version', 'disk_available_least')


class DockerBridgeDriver(driver.ComputeDriver):
    """Runs instances as Docker containers through the bridge service."""

    # Declared honestly: the service takes raw (docker save) images and
    # nothing else, attaches no interfaces or volumes, has no image cache that
    # Nova should manage, and cannot migrate or evacuate.
    capabilities = dict(driver.ComputeDriver.capabilities,
                        supports_image_type_raw=True)

    def __init__(self, virtapi):
        super(DockerBridgeDriver, self).__init__(virtapi)
        self._nodename = CONF.host
        self._client = None
        self._resources = None
        self._resources_at = 0.0
        self._last_answer_at = None
        self._reachable = None      # None: not known yet

    # ---- plumbing ------------------------------------------------------------

    @property
    def _opts(self):
        return CONF.docker_bridge

    @property
    def bridge(self):
        if self._client is None:
            self._client = bridge_client.BridgeClient(CONF, CONF.host)
        return self._client

    def _call(self, operation, args, timeout, context=None,
              call_monitor_timeout=None, instance_uuid=None):
        """One bus call; ``args`` are the method's keyword arguments."""
        result = self.bridge.call(
            operation, args, timeout, context=context,
            call_monitor_timeout=call_monitor_timeout,
            instance_uuid=instance_uuid)
        self._last_answer_at = time.monotonic()
        return result

    def _quick(self, operation, instance=None, args=None):
        """A query bounded by rpc_timeout. Under heartbeats every half
        probe_timeout: a dead service is noticed within probe_timeout, a
        slow one still gets rpc_timeout."""
        args = dict(args or {})
        if instance is not None:
            args['instance'] = projection.instance_ref(instance)
        return self._call(operation, args, self._opts.rpc_timeout,
                          call_monitor_timeout=self._probe_window,
                          instance_uuid=instance.uuid if instance else None)

    @property
    def _probe_window(self):
        # oslo sends no heartbeat request below 2 s.
        return max(2, self._opts.probe_timeout)

    def _long(self, operation, instance, args=None, context=None,
              call_timeout=None):
        """A call that may take long: bounded by operation_timeout (or
        ``call_timeout``), kept alive by the service's heartbeats. The bus
        argument ``instance`` defaults to the instance's identity."""
        args = dict(args or {})
        args.setdefault('instance', projection.instance_ref(instance))
        return self._call(
            operation, args, call_timeout or self._opts.operation_timeout,
            context=context,
            call_monitor_timeout=self._opts.call_monitor_timeout,
            instance_uuid=instance.uuid)

    # ---- service start / stop --------------------------------------------------

    def init_host(self, host):
        """Waits until the service answers init_host (it checks Docker and
        reconciles its containers); gives up after init_host_timeout."""
        self._nodename = host
        deadline = time.monotonic() + self._opts.init_host_timeout
        next_warning = 0.0
        while True:
            try:
                self._call('init_host', {'host': host},
                           self._opts.operation_timeout,
                           call_monitor_timeout=self._probe_window)
            except exception.VirtDriverNotReady as e:
                if time.monotonic() >= deadline:
                    raise exception.VirtDriverNotReady(
                        '%s; gave up after [docker_bridge] init_host_timeout'
                        ' = %s s' % (e.format_message(),
                                     self._opts.init_host_timeout))
                if time.monotonic() >= next_warning:
                    LOG.warning('docker_bridge: waiting up to %s s for the '
                                'compute service: %s',
                                int(deadline - time.monotonic()),
                                e.format_message())
                    next_warning = time.monotonic() + 30
                time.sleep(_INIT_RETRY_S)
                continue
            break
        self._reachable = True
        LOG.info('docker_bridge: compute service on topic %s.%s is ready',
                 self.bridge.topic, self.bridge.server)
        self._set_service_enabled(True)

    def cleanup_host(self, host):
        pass

    # ---- nodes and resources -----------------------------------------------------

    def get_available_nodes(self, refresh=False):
        fresh = (self._last_answer_at is not None and
                 time.monotonic() - self._last_answer_at < _NODES_FRESH_S)
        if refresh or not fresh:
            self._fetch_resources()
        return [self._nodename]

    def node_is_available(self, nodename):
        return nodename == self._nodename

    def get_available_resource(self, nodename):
        if (self._resources is None or
                time.monotonic() - self._resources_at > _RESOURCES_FRESH_S):
            self._fetch_resources()
        return dict(self._resources)

    def _fetch_resources(self):
        try:
            raw = self._quick('get_available_resource',
                              args={'nodename': self._nodename})
        except exception.VirtDriverNotReady as e:
            self._note_reachable(False, e.format_message())
            raise
        self._note_reachable(True)
        self._resources = self._normalize_resources(raw)
        self._resources_at = time.monotonic()
        return self._resources

    def _normalize_resources(self, raw):
        if not isinstance(raw, dict):
            raise exception.VirtDriverNotReady(
                'Virt driver is not ready: get_available_resource returned %r'
                % (type(raw).__name__,))
        res = dict(raw)
        reported = res.get('hypervisor_hostname')
        if reported and reported != self._nodename:
            LOG.warning('docker_bridge: the service calls itself %r, this '
                        'compute node is %r; using %r (set the service\'s '
                        '[DEFAULT] host to nova.conf [DEFAULT] host)',
                        reported, self._nodename, self._nodename)
        res['hypervisor_hostname'] = self._nodename
        for key in _INT_RESOURCE_KEYS:
            res[key] = int(res.get(key) or 0)
        res.setdefault('hypervisor_type', 'docker')
        res['cpu_info'] = res.get('cpu_info') or ''
        res.setdefault('numa_topology', None)
        # JSON has no tuples; Nova compares (arch, hv_type, vm_mode) tuples.
        res['supported_instances'] = [
            tuple(x) for x in res.get('supported_instances') or []]
        return res

    def update_provider_tree(self, provider_tree, nodename, allocations=None):
        res = self.get_available_resource(nodename)
        inventory = provider_tree.data(nodename).inventory
        ratios = self._get_allocation_ratios(inventory)
        reserved = {
            orc.VCPU: CONF.reserved_host_cpus,
            orc.MEMORY_MB: CONF.reserved_host_memory_mb,
            orc.DISK_GB: self._get_reserved_host_disk_gb_from_config(),
        }
        totals = {orc.VCPU: res['vcpus'], orc.MEMORY_MB: res['memory_mb'],
                  orc.DISK_GB: res['local_gb']}
        result = {}
        for rc, total in totals.items():
            if total < 1:
                # Placement refuses total 0; e.g. DISK_GB when the service
                # cannot see the Docker root filesystem (remote Engine).
                LOG.warning('docker_bridge: no %s inventory: the service '
                            'reports a total of %s', rc, total)
                continue
            result[rc] = {
                'total': total,
                'min_unit': 1,
                'max_unit': total,
                'step_size': 1,
                'allocation_ratio': ratios[rc],
                'reserved': reserved[rc],
            }
        provider_tree.update_inventory(nodename, result)

    def _note_reachable(self, reachable, reason=None):
        """Disables the compute service while the bridge is unreachable.

        The scheduler then skips this host (ComputeFilter) and `openstack
        compute service list` shows why; it is enabled again once the service
        answers. Like libvirt, never touches a service an operator disabled.
        """
        if reachable == self._reachable:
            return
        self._reachable = reachable
        if reachable:
            LOG.info('docker_bridge: compute service reachable again')
        else:
            LOG.warning('docker_bridge: compute service unreachable: %s',
                        reason)
        self._set_service_enabled(
            reachable, 'nova-docker-bridge compute service unreachable')

    def _set_service_enabled(self, enabled, reason=None):
        ctx = nova_context.get_admin_context()
        try:
            service = objects.Service.get_by_compute_host(ctx, CONF.host)
        except exception.ComputeHostNotFound:
            return      # first start: the service record does not exist yet
        except Exception:  # noqa: BLE001 - best effort, never fail the caller
            LOG.warning('docker_bridge: cannot read the service record',
                        exc_info=True)
            return
        if service.disabled == (not enabled):
            return
        ours = (service.disabled_reason or '').startswith(_AUTO_DISABLE_PREFIX)
        if enabled and not ours:
            return
        service.disabled = not enabled
        service.disabled_reason = (None if enabled
                                   else _AUTO_DISABLE_PREFIX + reason)
        try:
            service.save()
        except Exception:  # noqa: BLE001 - best effort
            LOG.warning('docker_bridge: cannot update the service record',
                        exc_info=True)

    def get_host_ip_addr(self):
        return CONF.my_ip

    def _unreachable(self, operation):
        """Fails API-synchronous calls at once while the service is known to
        be down, instead of holding nova-api for the whole timeout."""
        if self._reachable is False:
            call = errors.BusFailure(self.bridge.topic, self.bridge.server,
                                     self._opts.probe_timeout)
            raise errors.bus_failure(
                operation, '%s did not answer the last probe' % call.where(),
                call)

    def get_host_uptime(self):
        # Called for every hypervisor in `openstack hypervisor list`: short.
        self._unreachable('get_host_uptime')
        return self._call('get_host_uptime', {}, self._opts.probe_timeout)

    # ---- instances ---------------------------------------------------------------

    def spawn(self, context, instance, image_meta, injected_files,
              admin_password, allocations, network_info=None,
              block_device_info=None, power_on=True, accel_info=None):
        self._long('spawn', instance, {
            'instance': projection.instance_full(instance),
            'image_meta': projection.image_meta(image_meta),
            'injected_files': projection.injected_files(injected_files),
            'admin_password': admin_password or None,
            'network_info': projection.network_info(network_info),
            'power_on': bool(power_on),
        }, context=context)

    def destroy(self, context, instance, network_info, block_device_info=None,
                destroy_disks=True, destroy_secrets=True):
        try:
            self._long('destroy', instance, context=context)
        except exception.InstanceNotFound:
            # Nova's contract: destroying what is already gone succeeds, or
            # the server could never be deleted.
            LOG.info('docker_bridge: instance already gone',
                     instance=instance)

    def reboot(self, context, instance, network_info, reboot_type,
               block_device_info=None, bad_volumes_callback=None,
               accel_info=None):
        self._long('reboot', instance, {'reboot_type': reboot_type},
                   context=context)

    def power_off(self, instance, timeout=0, retry_interval=0):
        # The service waits `timeout` s for a clean shutdown before it kills:
        # the call must outlast that, by the usual quick-call margin.
        timeout = int(timeout or 0)
        self._long('power_off', instance, {
            'timeout': timeout,
            'retry_interval': int(retry_interval or 0),
        }, call_timeout=timeout + self._opts.rpc_timeout)

    def power_on(self, context, instance, network_info,
                 block_device_info=None, accel_info=None):
        self._long('power_on', instance, context=context)

    def pause(self, instance):
        self._long('pause', instance)

    def unpause(self, instance):
        self._long('unpause', instance)

    def suspend(self, context, instance):
        self._long('suspend', instance, context=context)

    def resume(self, context, instance, network_info, block_device_info=None):
        self._long('resume', instance, context=context)

    def snapshot(self, context, instance, image_id, update_task_state):
        """Nova created the (queued) Glance image; the service commits the
        container and uploads into it with the user's token. NotImplementedError
        from a service without snapshots makes Nova delete the queued image."""
        update_task_state(task_state=task_states.IMAGE_PENDING_UPLOAD)
        self._long('snapshot', instance, {'image_id': image_id},
                   context=context)
        update_task_state(task_state=task_states.IMAGE_UPLOADING,
                          expected_state=task_states.IMAGE_PENDING_UPLOAD)

    def get_info(self, instance, use_cache=True):
        info = self._quick('get_info', instance=instance)
        return hardware.InstanceInfo(state=int(info['state']),
                                     internal_id=info.get('internal_id'))

    def instance_exists(self, instance):
        return bool(self._quick('instance_exists', instance=instance))

    def list_instances(self):
        return list(self._quick('list_instances'))

    def list_instance_uuids(self):
        return list(self._quick('list_instance_uuids'))

    def get_console_output(self, context, instance):
        self._unreachable('get_console_output')
        return self._call('get_console_output',
                          {'instance': projection.instance_ref(instance)},
                          self._opts.api_call_timeout, context=context,
                          call_monitor_timeout=self._probe_window,
                          instance_uuid=instance.uuid)

    def delete_instance_files(self, instance):
        # destroy removes the container and everything the service kept for
        # it; there are no files on this side.
        return True
