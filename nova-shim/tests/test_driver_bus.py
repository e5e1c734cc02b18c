"""DockerBridgeDriver in-process, against a real compute service on the real broker.

Real Nova objects (no mocks), Nova's own RPC transport, the service started
here on its own host name (so nothing else on the broker answers), the local
busybox test image, the test Glance. Every driver method Nova calls for boot,
stop/start, reboots, pause, suspend, console, snapshot, resize and delete goes
over the bus.

Needs: RabbitMQ (guest/guest, vhost "/"), dockerd, the test image
(scripts/setup.sh), glance-api (scripts/start-glance.sh starts it), and the
service's CLI; NOVA_SHIM_TEST_BRIDGE_CMD overrides the command that runs it
(--config-file is appended). Fails (never skips) when something is missing.

    /usr/bin/python3 -m unittest discover -s nova-shim/tests -v
"""
import os
import time
import unittest
import uuid

import _services
from _services import HOST, MY_IP, sh

import nova.conf
from nova.compute import power_state
from nova.compute import provider_tree
from nova.compute import task_states
from nova import context as nova_context
from nova import exception
from nova import objects

from nova.virt.docker_bridge import driver as bridge_driver  # noqa: E402

CONF = nova.conf.CONF


class DriverOverTheBus(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        _services.require_test_image()
        cls.bridge = _services.Bridge(HOST)
        cls.bridge.start()
        _services.configure_nova()
        cls.image_id = str(uuid.uuid4())
        cls.tag = 'glance-image:%s' % cls.image_id
        r = sh('docker', 'tag', _services.TEST_IMAGE, cls.tag)
        assert r.returncode == 0, r.stderr
        cls.uuids = []
        cls.driver = bridge_driver.DockerBridgeDriver(virtapi=None)
        try:
            cls.driver.init_host(HOST)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for u in cls.uuids:
            sh('docker', 'rm', '-f', 'nova-%s' % u)
        sh('docker', 'rmi', cls.tag)
        cls.bridge.stop()
        if os.environ.get('SHOW_BRIDGE_LOG'):
            print(cls.bridge.tail())

    def _instance(self, **kw):
        instance_uuid = str(uuid.uuid4())
        self.uuids.append(instance_uuid)
        fields = dict(
            uuid=instance_uuid, id=42, hostname='shimtest',
            display_name='shim test', project_id='p', user_id='u',
            flavor=_services.flavor(), metadata={'role': 'test'},
            system_metadata={}, key_data=None, user_data=None,
            image_ref=self.image_id, task_state=None)
        fields.update(kw)
        return objects.Instance(**fields)

    def _image_meta(self, command='sleep 3600'):
        return objects.ImageMeta.from_dict({
            'id': self.image_id, 'name': 'busybox',
            'container_format': 'docker', 'disk_format': 'raw',
            'properties': {'os_command_line': command}})

    def _spawn(self, inst):
        self.driver.spawn(nova_context.get_admin_context(), inst,
                          self._image_meta(), [], None, {}, network_info=[])
        self.assertEqual(self.driver.get_info(inst).state, power_state.RUNNING)

    def test_nodes_and_inventory(self):
        d = self.driver
        self.assertEqual(d.get_available_nodes(refresh=True), [HOST])
        self.assertTrue(d.node_is_available(HOST))
        res = d.get_available_resource(HOST)
        self.assertEqual(res['hypervisor_hostname'], HOST)
        self.assertEqual(res['hypervisor_type'], 'docker')
        self.assertGreaterEqual(res['vcpus'], 1)
        self.assertIsInstance(res['supported_instances'][0], tuple)
        tree = provider_tree.ProviderTree()
        tree.new_root(HOST, str(uuid.uuid4()))
        d.update_provider_tree(tree, HOST)
        inv = tree.data(HOST).inventory
        self.assertEqual(inv['VCPU']['total'], res['vcpus'])
        self.assertEqual(inv['VCPU']['allocation_ratio'],
                         CONF.initial_cpu_allocation_ratio)
        self.assertEqual(inv['MEMORY_MB']['reserved'],
                         CONF.reserved_host_memory_mb)
        self.assertEqual(d.get_host_ip_addr(), MY_IP)
        self.assertIn('load average', d.get_host_uptime())

    def test_console_output_beyond_latin1(self):
        # ComputeManager.get_console_output encodes a str as latin-1 (a
        # 500 for any character above U+00FF); bytes pass through untouched.
        d = self.driver
        inst = self._instance()
        ctx = nova_context.get_admin_context()
        d.spawn(ctx, inst, self._image_meta(
            "sh -c 'echo \"build \u2014 ok \u2713\"; sleep 3600'"),
            [], None, {}, network_info=[])
        out = d.get_console_output(ctx, inst)
        self.assertIsInstance(out, bytes)
        self.assertIn('build \u2014 ok \u2713', out.decode('utf-8'))
        if type(out) is str:  # the manager's own step, as in nova 26
            out.encode('latin-1')
        d.destroy(ctx, inst, [])

    def test_lifecycle(self):
        d = self.driver
        inst = self._instance()
        ctx = nova_context.get_admin_context()
        d.spawn(ctx, inst, self._image_meta(), [('/etc/motd', b'hi\n')],
                'pw', {}, network_info=[])
        self.assertEqual(d.get_info(inst).state, power_state.RUNNING)
        self.assertTrue(d.instance_exists(inst))
        self.assertIn(inst.uuid, d.list_instance_uuids())
        self.assertIn('instance-0000002a', d.list_instances())
        d.power_off(inst, timeout=5, retry_interval=1)
        self.assertEqual(d.get_info(inst).state, power_state.SHUTDOWN)
        d.power_on(ctx, inst, [])
        self.assertEqual(d.get_info(inst).state, power_state.RUNNING)
        d.reboot(ctx, inst, [], 'HARD')
        self.assertEqual(d.get_info(inst).state, power_state.RUNNING)
        d.pause(inst)
        self.assertEqual(d.get_info(inst).state, power_state.PAUSED)
        d.unpause(inst)
        d.suspend(ctx, inst)
        self.assertEqual(d.get_info(inst).state, power_state.SUSPENDED)
        d.resume(ctx, inst, [])
        self.assertEqual(d.get_info(inst).state, power_state.RUNNING)
        self.assertIsInstance(d.get_console_output(ctx, inst), bytes)
        d.destroy(ctx, inst, [])
        self.assertFalse(d.instance_exists(inst))
        with self.assertRaises(exception.InstanceNotFound):
            d.get_info(inst)
        d.destroy(ctx, inst, [])      # already gone: success

    def test_snapshot_task_states_and_glance_image(self):
        """Nova's protocol: PENDING_UPLOAD before the work, UPLOADING
        (expected PENDING_UPLOAD) before returning; the queued image Nova
        created is filled by the service."""
        inst = self._instance()
        self._spawn(inst)
        image = _services.glance('POST', '/v2/images', {
            'name': 'shimtest-snapshot', 'container_format': 'docker',
            'disk_format': 'raw'})
        self.addCleanup(_services.glance, 'DELETE',
                        '/v2/images/%s' % image['id'])
        calls = []

        def update_task_state(task_state, expected_state=None):
            # What the compute manager's closure records: each save's new
            # and expected task state, and the image's status at that time.
            status = _services.glance('GET', '/v2/images/%s'
                                      % image['id'])['status']
            calls.append((task_state, expected_state, status))

        self.driver.snapshot(nova_context.get_admin_context(), inst,
                             image['id'], update_task_state)
        self.assertEqual(calls, [
            (task_states.IMAGE_PENDING_UPLOAD, None, 'queued'),
            (task_states.IMAGE_UPLOADING, task_states.IMAGE_PENDING_UPLOAD,
             'active'),
        ])
        got = _services.glance('GET', '/v2/images/%s' % image['id'])
        self.assertEqual(got['status'], 'active')
        self.assertEqual(got['container_format'], 'docker')
        self.assertEqual(got['image_location'], 'snapshot')

    def test_snapshot_of_a_missing_instance(self):
        inst = self._instance()
        image = _services.glance('POST', '/v2/images', {
            'name': 'shimtest-snapshot', 'container_format': 'docker',
            'disk_format': 'raw'})
        self.addCleanup(_services.glance, 'DELETE',
                        '/v2/images/%s' % image['id'])
        calls = []
        with self.assertRaises(exception.InstanceNotFound):
            self.driver.snapshot(
                nova_context.get_admin_context(), inst, image['id'],
                lambda **kw: calls.append(kw['task_state']))
        # Nova deletes the queued image; the task state stays "pending".
        self.assertEqual(calls, [task_states.IMAGE_PENDING_UPLOAD])

    def test_resize_in_place_confirm_and_revert(self):
        d = self.driver
        ctx = nova_context.get_admin_context()
        old = _services.flavor(vcpus=1, memory_mb=64, name='m1.tiny')
        new = _services.flavor(vcpus=2, memory_mb=128, name='m1.small')
        inst = self._instance(flavor=old)
        self._spawn(inst)
        before = _services.container_limits(inst.uuid)
        self.assertEqual(before['memory'], 64 * 1024 * 1024)

        # Nova: resize_instance on the source, then finish_resize.
        disk_info = d.migrate_disk_and_power_off(ctx, inst, MY_IP, new, [],
                                                 None, 60, 10)
        after = _services.container_limits(inst.uuid)
        self.assertEqual(after['memory'], 128 * 1024 * 1024)
        self.assertEqual(after['status'], 'running')   # live: never stopped
        self.assertGreater(max(after['nano_cpus'], after['cpu_quota']),
                           max(before['nano_cpus'], before['cpu_quota']))
        inst.flavor = new
        d.finish_migration(ctx, None, inst, disk_info, [], None, False, {},
                           None, True)
        self.assertEqual(d.get_info(inst).state, power_state.RUNNING)
        d.confirm_migration(ctx, None, inst, [])
        self.assertEqual(_services.container_limits(inst.uuid)['memory'],
                         128 * 1024 * 1024)

        # Revert of a second resize: Nova destroys "the destination" first,
        # which is the same container; it must survive.
        bigger = _services.flavor(vcpus=1, memory_mb=256, name='m1.medium')
        d.migrate_disk_and_power_off(ctx, inst, MY_IP, bigger, [])
        inst.flavor = bigger
        d.finish_migration(ctx, None, inst, '[]', [], None, False, {})
        inst.task_state = task_states.RESIZE_REVERTING
        d.destroy(ctx, inst, [], None, False)
        self.assertTrue(d.instance_exists(inst))
        inst.flavor = new          # Nova restores the old flavor first
        d.finish_revert_migration(ctx, inst, [], None, None, True)
        self.assertEqual(_services.container_limits(inst.uuid)['memory'],
                         128 * 1024 * 1024)
        self.assertEqual(d.get_info(inst).state, power_state.RUNNING)
        inst.task_state = None
        d.destroy(ctx, inst, [])
        self.assertFalse(d.instance_exists(inst))

    def test_resize_of_a_stopped_instance_keeps_it_stopped(self):
        d = self.driver
        ctx = nova_context.get_admin_context()
        inst = self._instance()
        self._spawn(inst)
        d.power_off(inst, 0, 0)
        new = _services.flavor(vcpus=1, memory_mb=96, name='m1.small')
        d.migrate_disk_and_power_off(ctx, inst, MY_IP, new, [])
        inst.flavor = new
        d.finish_migration(ctx, None, inst, '[]', [], None, False, {},
                           None, False)
        limits = _services.container_limits(inst.uuid)
        self.assertEqual(limits['memory'], 96 * 1024 * 1024)
        self.assertEqual(d.get_info(inst).state, power_state.SHUTDOWN)
        d.destroy(ctx, inst, [])

    def test_resize_refusals_roll_back(self):
        """Refused resizes raise InstanceFaultRollback (Nova then returns the
        server to its previous state with the reason as its fault) and leave
        the container as it was."""
        d = self.driver
        ctx = nova_context.get_admin_context()
        inst = self._instance()
        self._spawn(inst)
        new = _services.flavor(vcpus=1, memory_mb=128, name='m1.small')
        with self.assertRaises(exception.InstanceFaultRollback) as cm:
            d.migrate_disk_and_power_off(ctx, inst, '198.51.100.9', new, [])
        inner = cm.exception.inner_exception
        self.assertIsInstance(inner, exception.ResizeError)
        self.assertIn('cannot move to another host', inner.format_message())

        privileged = _services.flavor(
            vcpus=1, memory_mb=128, name='m1.admin',
            extra_specs={'docker:cap_add': 'SYS_ADMIN'})
        with self.assertRaises(exception.InstanceFaultRollback) as cm:
            d.migrate_disk_and_power_off(ctx, inst, MY_IP, privileged, [])
        self.assertIn('docker:cap_add=SYS_ADMIN',
                      cm.exception.inner_exception.format_message())

        # The service refuses a flavor Docker cannot apply (below its
        # minimum memory): rolled back with the service's reason.
        tiny = _services.flavor(vcpus=1, memory_mb=4, name='m1.nano')
        with self.assertRaises(exception.InstanceFaultRollback) as cm:
            d.migrate_disk_and_power_off(ctx, inst, MY_IP, tiny, [])
        self.assertIn('memory', cm.exception.inner_exception.format_message())
        self.assertEqual(_services.container_limits(inst.uuid)['memory'],
                         64 * 1024 * 1024)
        d.destroy(ctx, inst, [])

    def test_resize_of_a_missing_instance_rolls_back(self):
        inst = self._instance()
        with self.assertRaises(exception.InstanceFaultRollback) as cm:
            self.driver.migrate_disk_and_power_off(
                nova_context.get_admin_context(), inst, MY_IP,
                _services.flavor(memory_mb=128), [])
        self.assertIn(inst.uuid, cm.exception.inner_exception.format_message())

    def test_spawn_failure_is_a_nova_exception(self):
        inst = self._instance()
        meta = objects.ImageMeta.from_dict({
            'id': str(uuid.uuid4()), 'name': 'no-such-image',
            'container_format': 'docker', 'disk_format': 'raw'})
        with self.assertRaises(exception.NovaException) as cm:
            self.driver.spawn(nova_context.get_admin_context(), inst, meta,
                              [], None, {}, network_info=[])
        # Neither on the Engine nor in Glance: the message says so.
        self.assertIn(meta.id, cm.exception.format_message())
        self.assertFalse(self.driver.instance_exists(inst))


class UnreachableService(unittest.TestCase):
    """A host nobody serves: node queries are 'not ready', never 'no nodes'."""

    def test_not_ready_within_probe_timeout(self):
        _services.configure_nova()
        CONF.set_override('host', 'nobody-%s' % uuid.uuid4().hex[:8])
        self.addCleanup(CONF.clear_override, 'host')
        d = bridge_driver.DockerBridgeDriver(virtapi=None)
        started = time.monotonic()
        with self.assertRaises(exception.VirtDriverNotReady) as cm:
            d.get_available_nodes()
        self.assertLess(time.monotonic() - started, 15)
        self.assertIn('no reply', cm.exception.format_message())
        with self.assertRaises(exception.ComputeServiceUnavailable):
            d.get_host_uptime()     # fails at once now that it is known down


if __name__ == '__main__':
    unittest.main()
