"""The compute service goes away and comes back: Nova's view of the host.

Real Nova records (Service, Instance, Migration) in a real (SQLite) Nova
database, Nova's own servicegroup API deciding "up" as the scheduler's
ComputeFilter does, and a real compute service process that is stopped and
started again under the driver.

    /usr/bin/python3 -m unittest discover -s nova-shim/tests -p 'test_fencing.py' -v
"""
import unittest
import uuid

import _services
from _services import sh

import nova.conf
from nova.compute import power_state
from nova.compute import vm_states
from nova import context as nova_context
from nova import exception
from nova import objects
from nova import servicegroup
from nova.virt import event as virtevent

from nova.virt.docker_bridge import driver as bridge_driver  # noqa: E402

CONF = nova.conf.CONF


class FencingWhileUnreachable(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        _services.require_test_image()
        _services.configure_nova()
        cls.host = 'shimfence-%s' % uuid.uuid4().hex[:8]
        cls.bridge = _services.Bridge(cls.host)
        cls.bridge.start()
        cls.image_id = str(uuid.uuid4())
        cls.tag = 'glance-image:%s' % cls.image_id
        r = sh('docker', 'tag', _services.TEST_IMAGE, cls.tag)
        assert r.returncode == 0, r.stderr
        cls.uuids = []

    @classmethod
    def tearDownClass(cls):
        for u in cls.uuids:
            sh('docker', 'rm', '-f', 'nova-%s' % u)
        sh('docker', 'rmi', cls.tag)
        cls.bridge.stop()

    def setUp(self):
        CONF.set_override('host', self.host)
        self.addCleanup(CONF.clear_override, 'host')
        self.ctx = nova_context.get_admin_context()
        # One nova-compute Service record per test (hosts are unique per
        # record; the previous test's is deleted).
        self.service = objects.Service(self.ctx, host=self.host,
                                       binary='nova-compute', topic='compute',
                                       report_count=0)
        self.service.create()
        self.addCleanup(self.service.destroy)
        self.events = []
        self.driver = bridge_driver.DockerBridgeDriver(virtapi=None)
        self.driver.register_event_listener(self.events.append)
        if self.bridge.proc is None:
            self.bridge.start()
        self.driver.init_host(self.host)

    def _record(self):
        return objects.Service.get_by_compute_host(self.ctx, self.host)

    def _up(self, service):
        # What the scheduler's ComputeFilter and `service list` ask.
        return servicegroup.API().service_is_up(service)

    def _go_unreachable(self):
        self.bridge.stop()
        with self.assertRaises(exception.VirtDriverNotReady):
            self.driver.get_available_nodes(refresh=True)

    def _come_back(self):
        self.bridge.start()
        return _services.wait_until(
            lambda: self.driver.get_available_nodes(refresh=True), 60,
            'the compute service answering again')

    def _instance_record(self):
        """An ACTIVE instance on this host, in the DB and as a container."""
        inst = objects.Instance(
            self.ctx, uuid=str(uuid.uuid4()), host=self.host,
            node=self.host, hostname='fence', display_name='fence',
            project_id='p', user_id='u', vm_state=vm_states.ACTIVE,
            power_state=power_state.RUNNING, task_state=None,
            image_ref=self.image_id, flavor=_services.flavor(),
            metadata={}, system_metadata={})
        inst.create()
        self.uuids.append(inst.uuid)
        self.addCleanup(inst.destroy)
        meta = objects.ImageMeta.from_dict({
            'id': self.image_id, 'name': 'busybox',
            'container_format': 'docker', 'disk_format': 'raw',
            'properties': {'os_command_line': 'sleep 3600'}})
        self.driver.spawn(self.ctx, inst, meta, [], None, {}, network_info=[])
        self.addCleanup(sh, 'docker', 'rm', '-f', 'nova-%s' % inst.uuid)
        return inst

    def test_forced_down_while_unreachable_and_lifted_on_return(self):
        self.assertFalse(self._record().forced_down)
        self.assertTrue(self._up(self._record()))
        inst = self._instance_record()

        self._go_unreachable()
        # The container stops while nobody can tell Nova.
        self.assertEqual(sh('docker', 'stop', '-t', '0',
                            'nova-%s' % inst.uuid).returncode, 0)
        rec = self._record()
        self.assertTrue(rec.forced_down)
        self.assertFalse(self._up(rec))
        self.assertTrue(rec.disabled)
        self.assertTrue(rec.disabled_reason.startswith(
            'AUTO: nova-docker-bridge compute service unreachable since '))
        self.assertEqual(self.events, [])

        self.assertEqual(self._come_back(), [self.host])
        rec = self._record()
        self.assertFalse(rec.forced_down)
        self.assertFalse(rec.disabled)
        self.assertIsNone(rec.disabled_reason)
        self.assertTrue(self._up(rec))
        # Nova is told at once (it re-checks with get_info before acting).
        self.assertEqual(
            [(e.get_instance_uuid(), e.get_transition()) for e in self.events],
            [(inst.uuid, virtevent.EVENT_LIFECYCLE_STOPPED)])
        self.assertEqual(self.driver.get_info(inst).state,
                         power_state.SHUTDOWN)

    def test_an_operators_disable_is_kept(self):
        rec = self._record()
        rec.disabled = True
        rec.disabled_reason = 'maintenance window'
        rec.save()
        self._go_unreachable()
        rec = self._record()
        self.assertTrue(rec.forced_down)
        self.assertEqual(rec.disabled_reason, 'maintenance window')
        self._come_back()
        rec = self._record()
        self.assertFalse(rec.forced_down)     # ours: lifted
        self.assertTrue(rec.disabled)         # theirs: kept
        self.assertEqual(rec.disabled_reason, 'maintenance window')

    def test_an_operators_forced_down_is_kept(self):
        rec = self._record()
        rec.forced_down = True
        rec.save()
        self._go_unreachable()
        rec = self._record()
        self.assertTrue(rec.forced_down)
        self.assertFalse(rec.disabled)   # their fence: not touched
        self._come_back()
        rec = self._record()
        self.assertTrue(rec.forced_down)
        self.assertFalse(rec.disabled)

    def test_fence_stays_over_evacuations_until_restart(self):
        self._go_unreachable()
        evacuation = objects.Migration(
            self.ctx, source_compute=self.host, dest_compute='elsewhere',
            source_node=self.host, dest_node='elsewhere',
            instance_uuid=str(uuid.uuid4()), status='done',
            migration_type='evacuation', old_instance_type_id=1,
            new_instance_type_id=1)
        evacuation.create()

        def cleaned_up():
            # What nova-compute records once it destroyed the local copy.
            evacuation.status = 'completed'
            evacuation.save()
        self.addCleanup(cleaned_up)
        self._come_back()
        self.assertTrue(self._record().forced_down)
        # nova-compute restarts: it destroys evacuated copies right after
        # the driver's init_host, before taking requests.
        bridge_driver.DockerBridgeDriver(virtapi=None).init_host(self.host)
        rec = self._record()
        self.assertFalse(rec.forced_down)
        self.assertFalse(rec.disabled)


if __name__ == '__main__':
    unittest.main()
