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
* fencing: while the service does not answer, the compute service is forced
  down (and disabled with an "AUTO:" reason), so the scheduler skips the host
  and `openstack compute service list` says "down"; it is lifted when the
  service answers again, and instance power states are re-checked then;
* timeouts that outlast Nova's: power_off waits its clean-shutdown timeout
  plus a margin, long operations run under call-monitor heartbeats;
* the snapshot task-state protocol (the service uploads to Glance itself,
  with the user's token from the request context; no image data on the bus);
* resize in place: the container's limits change live (the service's
  live_resize); a resize that would move the instance to another host, or
  change the privileges a flavor grants, is refused and rolled back.

nova-compute is an eventlet process: nothing here may block natively. The
only waits are oslo.messaging calls on Nova's (green) transport and
eventlet-patched time.sleep.
"""
import time

import os_resource_classes as orc
from oslo_log import log as logging
from oslo_utils import timeutils

import nova.conf
from nova.compute import power_state
from nova.compute import task_states
from nova import context as nova_context
from nova import exception
from nova import objects
from nova.virt import driver
from nova.virt import event as virtevent
from nova.virt import hardware

from . import client as bridge_client
from . import conf as bridge_conf  # noqa: F401 - registers [docker_bridge]
from . import errors
from . import projection

CONF = nova.conf.CONF
LOG = logging.getLogger(__name__)

# A resources dict this fresh is reused: the resource tracker asks for the
# node list, then the resources, then the provider tree, within a second, so
# the node list's probe is the period's only call.
_RESOURCES_FRESH_S = 5
# Between init_host attempts while waiting for the service.
_INIT_RETRY_S = 2
# Prefix Nova's libvirt driver uses for automatic service disabling; an
# operator's own disable reason never starts with it, so it is never undone.
# It also marks a forced_down this driver set (Nova has no reason field for
# forced_down): only such a fence is lifted automatically.
_AUTO_DISABLE_PREFIX = 'AUTO: '
_UNREACHABLE_REASON = 'nova-docker-bridge compute service unreachable'
# Service.disabled_reason is a 255-character column.
_REASON_MAX = 255

# Flavor extra specs that grant privileges (capabilities, privileged mode):
# Docker cannot change them on an existing container, so a resize that
# changes them is refused instead of silently keeping the old ones.
_PRIVILEGE_SPEC_PREFIX = 'docker:'

# Power state -> the lifecycle event that tells Nova about it.
_LIFECYCLE_EVENT = {
    power_state.RUNNING: virtevent.EVENT_LIFECYCLE_STARTED,
    power_state.SHUTDOWN: virtevent.EVENT_LIFECYCLE_STOPPED,
    power_state.CRASHED: virtevent.EVENT_LIFECYCLE_STOPPED,
    power_state.PAUSED: virtevent.EVENT_LIFECYCLE_PAUSED,
    power_state.SUSPENDED: virtevent.EVENT_LIFECYCLE_SUSPENDED,
}

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
        self._reachable = None      # None: not known yet
        # This process forced the service down (the record's disabled reason
        # may not say so when an operator had disabled it already).
        self._fenced_by_us = False

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
        return self.bridge.call(
            operation, args, timeout, context=context,
            call_monitor_timeout=call_monitor_timeout,
            instance_uuid=instance_uuid)

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
        reconciles its containers); gives up after init_host_timeout.

        While waiting, the compute service is fenced (forced down), so that
        `openstack compute service list` shows at once why nothing lands here.
        Once the service answers, a fence this driver set is lifted even when
        instances were evacuated meanwhile: nova-compute destroys their local
        copies right after this, before it takes any request.
        """
        self._nodename = host
        deadline = time.monotonic() + self._opts.init_host_timeout
        next_warning = 0.0
        while True:
            try:
                self._call('init_host', {'host': host},
                           self._opts.operation_timeout,
                           call_monitor_timeout=self._probe_window)
            except exception.VirtDriverNotReady as e:
                self._note_reachable(False, e.format_message())
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
        LOG.info('docker_bridge: compute service on topic %s.%s is ready',
                 self.bridge.topic, self.bridge.server)
        self._reachable = True
        self._fence(False, at_start=True)

    def cleanup_host(self, host):
        pass

    # ---- nodes and resources -----------------------------------------------------

    def get_available_nodes(self, refresh=False):
        """Always this host's name, computed locally; the probe (the
        resources, reused by get_available_resource right after) only decides
        between that and VirtDriverNotReady. Probing here, not only in
        get_available_resource, makes an outage a one-line "Virt driver is not
        ready" in the periodic task instead of an error with a traceback."""
        if refresh or not self._resources_fresh():
            self._fetch_resources()
        return [self._nodename]

    def _resources_fresh(self):
        return (self._resources is not None and
                time.monotonic() - self._resources_at <= _RESOURCES_FRESH_S)

    def node_is_available(self, nodename):
        return nodename == self._nodename

    def get_available_resource(self, nodename):
        if not self._resources_fresh():
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

    # ---- reachability: fencing and power-state re-sync -----------------------

    def _note_reachable(self, reachable, reason=None):
        """Fences the compute service while the bridge is unreachable.

        Unreachable: the Service record is forced down (Nova's fencing flag,
        what `openstack compute service set --down` sets): the API shows the
        service "down" at once and the scheduler's ComputeFilter skips the
        host. It is also disabled with an "AUTO:" reason saying why (unless
        an operator disabled it already). Reachable again: both are lifted
        (only what this driver set), and instance power states are checked,
        since containers may have stopped meanwhile.
        """
        if reachable == self._reachable:
            return
        was_unreachable = self._reachable is False
        self._reachable = reachable
        if reachable:
            LOG.info('docker_bridge: compute service reachable again')
        else:
            LOG.warning('docker_bridge: compute service unreachable: %s',
                        reason)
        self._fence(not reachable)
        if reachable and was_unreachable:
            self._resync_power_states()

    def _service_record(self, ctx):
        try:
            return objects.Service.get_by_compute_host(ctx, CONF.host)
        except exception.ComputeHostNotFound:
            return None     # first start: the record does not exist yet
        except Exception:  # noqa: BLE001 - best effort, never fail the caller
            LOG.warning('docker_bridge: cannot read the service record',
                        exc_info=True)
            return None

    def _fence(self, down, at_start=False):
        """Sets (``down``) or lifts the fence on this host's Service record.

        Never lifts what it did not set: an operator's disable (any reason
        not starting with "AUTO: ") and an operator's forced_down stay.
        """
        ctx = nova_context.get_admin_context()
        service = self._service_record(ctx)
        if service is None:
            return
        ours = (service.disabled_reason or '').startswith(_AUTO_DISABLE_PREFIX)
        if down:
            if service.forced_down and not ours and not self._fenced_by_us:
                return      # an operator fenced this host: theirs to lift
            if not service.forced_down:
                service.forced_down = True
                self._fenced_by_us = True
            if not service.disabled:
                service.disabled = True
                service.disabled_reason = (
                    '%s%s since %s' % (_AUTO_DISABLE_PREFIX,
                                       _UNREACHABLE_REASON,
                                       timeutils.utcnow().strftime(
                                           '%Y-%m-%dT%H:%M:%SZ'))
                )[:_REASON_MAX]
        else:
            if service.forced_down and (ours or self._fenced_by_us):
                if not at_start and self._evacuated_from_here(ctx):
                    # Nova's own `service set --up` refuses this too: the
                    # evacuated instances still run here until nova-compute
                    # restarts and destroys them (init_host lifts the fence).
                    LOG.error('docker_bridge: the compute service answers '
                              'again, but instances were evacuated from this '
                              'host while it was down; it stays forced down '
                              'until nova-compute is restarted (which '
                              'destroys their copies here)')
                    return
                service.forced_down = False
            if service.disabled and ours:
                service.disabled = False
                service.disabled_reason = None
            self._fenced_by_us = False
        if not service.obj_what_changed():
            return
        try:
            service.save()
        except Exception:  # noqa: BLE001 - best effort
            LOG.warning('docker_bridge: cannot update the service record',
                        exc_info=True)
            return
        LOG.warning('docker_bridge: compute service %s: forced_down=%s, '
                    'disabled=%s (%s)', CONF.host, service.forced_down,
                    service.disabled, service.disabled_reason)

    @staticmethod
    def _evacuated_from_here(ctx):
        """Evacuations from this host that its nova-compute has not cleaned
        up yet (the filter Nova's API uses before lifting forced_down)."""
        try:
            return bool(objects.MigrationList.get_by_filters(ctx, {
                'source_compute': CONF.host,
                'status': ['accepted', 'pre-migrating', 'done'],
                'migration_type': 'evacuation',
            }))
        except Exception:  # noqa: BLE001 - unknown: keep the fence
            LOG.warning('docker_bridge: cannot look for evacuations',
                        exc_info=True)
            return True

    def _resync_power_states(self):
        """Tells Nova about instances whose container changed state while the
        service was unreachable, instead of waiting for the next power-state
        sync (every 10 minutes). Nova re-checks with get_info before acting,
        and skips instances that have a task in progress."""
        ctx = nova_context.get_admin_context()
        try:
            instances = objects.InstanceList.get_by_host(ctx, CONF.host,
                                                         expected_attrs=[])
        except Exception:  # noqa: BLE001 - best effort
            LOG.warning('docker_bridge: cannot list this host\'s instances '
                        'to re-check their power states', exc_info=True)
            return
        for instance in instances:
            if instance.task_state is not None:
                continue
            try:
                state = self.get_info(instance).state
            except exception.InstanceNotFound:
                continue    # Nova's own sync decides what a vanished one means
            except exception.NovaException as e:
                LOG.warning('docker_bridge: power-state re-check stopped: %s',
                            e.format_message())
                return
            event = _LIFECYCLE_EVENT.get(state)
            if state != instance.power_state and event is not None:
                LOG.info('docker_bridge: power state changed while the '
                         'service was unreachable: %s -> %s',
                         instance.power_state, state, instance=instance)
                self.emit_event(virtevent.LifecycleEvent(instance.uuid, event))

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
        if self._reverting_in_place(instance):
            LOG.info('docker_bridge: resize revert: the container stays '
                     '(resized in place); finish_revert_migration restores '
                     'the old limits', instance=instance)
            return
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
        container and streams it into that image with the user's token from
        ``context``, all in one call. NotImplementedError from a service
        without snapshots makes Nova delete the queued image.

        Task states as Nova's drivers set them: IMAGE_PENDING_UPLOAD before
        the data is produced, IMAGE_UPLOADING (expected IMAGE_PENDING_UPLOAD)
        before returning, because the compute manager's final save expects
        IMAGE_UPLOADING. The service's one call does both steps, so the
        instance shows "image_pending_upload" while it works.
        """
        update_task_state(task_state=task_states.IMAGE_PENDING_UPLOAD)
        # Commit + save + upload can take minutes for large images: bounded
        # by operation_timeout, kept alive by the service's heartbeats.
        self._long('snapshot', instance, {'image_id': image_id},
                   context=context)
        update_task_state(task_state=task_states.IMAGE_UPLOADING,
                          expected_state=task_states.IMAGE_PENDING_UPLOAD)

    # ---- resize (in place) -------------------------------------------------------
    #
    # Nova resizes in four driver steps: migrate_disk_and_power_off (source),
    # finish_migration (destination), then confirm_migration (source) or, on
    # revert, destroy (destination) + finish_revert_migration (source). A
    # container cannot move, so only same-host resizes are served
    # (nova.conf [DEFAULT] allow_resize_to_same_host = True), and its limits
    # change live: the instance keeps running throughout, nothing is copied,
    # and the root disk is bookkeeping (a container's root_gb is not a disk).

    def migrate_disk_and_power_off(self, context, instance, dest, flavor,
                                   network_info, block_device_info=None,
                                   timeout=0, retry_interval=0):
        """Applies the new flavor's limits to the running container.

        Done here rather than in finish_migration because a failure here is
        rolled back cleanly (InstanceFaultRollback: the server returns to its
        previous state with a fault), while one in finish_migration leaves it
        in ERROR. The container is not powered off: Docker changes CPU and
        memory limits live.
        """
        reason = self._resize_refusal(instance, dest, flavor)
        if reason:
            raise exception.InstanceFaultRollback(
                inner_exception=exception.ResizeError(reason=reason))
        try:
            self._live_resize(context, instance, flavor)
        except (exception.NovaException, NotImplementedError) as e:
            msg = (e.format_message()
                   if isinstance(e, exception.NovaException) else
                   'the compute service cannot resize: %s' % (e,))
            raise exception.InstanceFaultRollback(
                inner_exception=exception.ResizeError(reason=msg))
        # Nova hands this to finish_migration; there are no disks.
        return '[]'

    def _resize_refusal(self, instance, dest, flavor):
        """Why this resize cannot be done in place, or None."""
        mig_ctx = projection.loaded(instance, 'migration_context')
        dest_host = getattr(mig_ctx, 'dest_compute', None) if mig_ctx else None
        if (dest_host not in (None, CONF.host) or
                dest != self.get_host_ip_addr()):
            return ('a container cannot move to another host (destination '
                    '%s, this host %s at %s): nova-docker-bridge resizes '
                    'in place only; with several compute hosts, resize '
                    'needs the scheduler to pick this one (nova.conf '
                    '[DEFAULT] allow_resize_to_same_host = True)'
                    % (dest_host or dest, CONF.host, self.get_host_ip_addr()))
        old = _privilege_specs(instance.flavor)
        new = _privilege_specs(flavor)
        if old != new:
            return ('flavor %s grants other container privileges (%s) than '
                    'flavor %s (%s); Docker cannot change them on an existing '
                    'container: create a new server with the new flavor'
                    % (flavor.name, _describe(new), instance.flavor.name,
                       _describe(old)))
        return None

    def _live_resize(self, context, instance, flavor):
        self._long('live_resize', instance,
                   {'flavor': projection.flavor(flavor)}, context=context)

    def finish_migration(self, context, migration, instance, disk_info,
                         network_info, image_meta, resize_instance,
                         allocations, block_device_info=None, power_on=True):
        """The limits changed in migrate_disk_and_power_off; what is left is
        the power state Nova asks for (a stopped server stays stopped)."""
        if power_on:
            self.power_on(context, instance, network_info)

    def confirm_migration(self, context, migration, instance, network_info):
        # Nothing of the old flavor remains to be cleaned up.
        pass

    def finish_revert_migration(self, context, instance, network_info,
                                migration, block_device_info=None,
                                power_on=True):
        """Back to the old flavor's limits (Nova has already put it back on
        the instance). Also Nova's recovery of a resize that a nova-compute
        crash interrupted."""
        self._live_resize(context, instance, instance.flavor)
        if power_on:
            self.power_on(context, instance, network_info)

    @staticmethod
    def _reverting_in_place(instance):
        """Nova's revert calls destroy on the destination before
        finish_revert_migration on the source; in place, both are this
        container, which must survive."""
        return (projection.loaded(instance, 'task_state') ==
                task_states.RESIZE_REVERTING)

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
        out = self._call('get_console_output',
                         {'instance': projection.instance_ref(instance)},
                         self._opts.api_call_timeout, context=context,
                         call_monitor_timeout=self._probe_window,
                         instance_uuid=instance.uuid)
        # Bytes, as libvirt returns: the compute manager encodes a str as
        # latin-1, which fails on any character above U+00FF.
        return out.encode('utf-8') if isinstance(out, str) else out

    def delete_instance_files(self, instance):
        # destroy removes the container and everything the service kept for
        # it; there are no files on this side.
        return True


def _privilege_specs(flavor):
    specs = getattr(flavor, 'extra_specs', None) or {}
    return {k: v for k, v in specs.items()
            if k.startswith(_PRIVILEGE_SPEC_PREFIX)}


def _describe(specs):
    if not specs:
        return 'none'
    return ', '.join('%s=%s' % kv for kv in sorted(specs.items()))
