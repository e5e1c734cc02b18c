"""DockerBridgeDriver in-process, against a real compute service on the real broker.

Real Nova objects (no mocks), Nova's own RPC transport, the service started
here on its own host name (so nothing else on the broker answers), the local
busybox test image. Every driver method Nova calls for boot, stop/start,
reboots, pause, suspend, console and delete goes over the bus once.

Needs: RabbitMQ (guest/guest, vhost "/"), dockerd, the test image
(scripts/setup.sh), and the service's CLI; NOVA_SHIM_TEST_BRIDGE_CMD overrides
the command that runs it (--config-file is appended). Fails (never skips) when
something is missing.

    cd nova-shim && /usr/bin/python3 -m unittest tests.test_driver_bus -v
"""
import os
import shlex
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

from . import _path

import nova.conf
from nova import config as nova_config
from nova.compute import power_state
from nova.compute import provider_tree
from nova import context as nova_context
from nova import exception
from nova import objects

objects.register_all()

from nova.virt.docker_bridge import driver as bridge_driver  # noqa: E402

CONF = nova.conf.CONF
REPO = os.path.dirname(_path.SHIM_ROOT)
TEST_IMAGE = 'nova-docker-bridge-test/busybox:latest'
RABBIT = os.environ.get('NOVA_SHIM_TEST_RABBIT',
                        'rabbit://guest:guest@127.0.0.1:5672/')
HOST = 'shimtest-%s' % uuid.uuid4().hex[:8]


def _sh(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


_CONFIGURED = []


def configure_nova():
    """Parses a nova.conf as nova-compute does (Nova's transport included)."""
    if _CONFIGURED:
        return
    path = os.path.join(tempfile.mkdtemp(prefix='shimtest-nova-'), 'nova.conf')
    with open(path, 'w') as f:
        f.write('[DEFAULT]\nhost = %s\nmy_ip = 192.0.2.7\ntransport_url = %s\n'
                '[docker_bridge]\ninit_host_timeout = 60\nprobe_timeout = 4\n'
                % (HOST, RABBIT))
    nova_config.parse_args(['test', '--config-file', path],
                           default_config_files=[], configure_db=False)
    _CONFIGURED.append(path)


class DriverOverTheBus(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        r = _sh('docker', 'image', 'inspect', '-f', '{{.Id}}', TEST_IMAGE)
        if r.returncode != 0:
            raise AssertionError('test image %s missing (scripts/setup.sh '
                                 'builds it): %s' % (TEST_IMAGE, r.stderr))
        cls.tmp = tempfile.mkdtemp(prefix='shimtest-')
        conf = os.path.join(cls.tmp, 'bridge.conf')
        with open(conf, 'w') as f:
            f.write('[DEFAULT]\nhost = %s\ntransport_url = %s\n'
                    '[compute]\nstate_dir = %s/instances\n'
                    % (HOST, RABBIT, cls.tmp))
        cmd = shlex.split(os.environ.get(
            'NOVA_SHIM_TEST_BRIDGE_CMD',
            'node %s/bin/nova-docker-bridge.js serve' % REPO))
        cls.log = open(os.path.join(cls.tmp, 'bridge.log'), 'w')
        cls.bridge = subprocess.Popen(cmd + ['--config-file', conf],
                                      stdout=cls.log, stderr=subprocess.STDOUT,
                                      cwd=REPO)
        configure_nova()
        cls.image_id = str(uuid.uuid4())
        cls.tag = 'glance-image:%s' % cls.image_id
        r = _sh('docker', 'tag', TEST_IMAGE, cls.tag)
        assert r.returncode == 0, r.stderr
        cls.driver = bridge_driver.DockerBridgeDriver(virtapi=None)
        try:
            cls.driver.init_host(HOST)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        _sh('docker', 'rm', '-f', 'nova-%s' % getattr(cls, 'uuid', 'x'))
        _sh('docker', 'rmi', cls.tag)
        cls.bridge.terminate()
        try:
            cls.bridge.wait(30)
        except subprocess.TimeoutExpired:
            cls.bridge.kill()
        cls.log.close()
        if sys.exc_info()[0] is not None or os.environ.get('SHOW_BRIDGE_LOG'):
            print(open(os.path.join(cls.tmp, 'bridge.log')).read()[-3000:])

    def _instance(self):
        flavor = objects.Flavor(vcpus=1, memory_mb=64, root_gb=1,
                                ephemeral_gb=0, swap=0, name='m1.tiny',
                                extra_specs={})
        return objects.Instance(
            uuid=self.uuid, id=42, hostname='shimtest', display_name='shim test',
            project_id='p', user_id='u', flavor=flavor,
            metadata={'role': 'test'}, system_metadata={},
            key_data=None, user_data=None, image_ref=self.image_id)

    def _image_meta(self):
        return objects.ImageMeta.from_dict({
            'id': self.image_id, 'name': 'busybox',
            'container_format': 'docker', 'disk_format': 'raw',
            'properties': {'os_command_line': 'sleep 3600'}})

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
        self.assertEqual(d.get_host_ip_addr(), '192.0.2.7')
        self.assertIn('load average', d.get_host_uptime())

    def test_lifecycle(self):
        d = self.driver
        type(self).uuid = str(uuid.uuid4())
        inst = self._instance()
        ctx = nova_context.get_admin_context()
        d.spawn(ctx, inst, self._image_meta(), [('/etc/motd', b'hi\n')],
                'pw', {}, network_info=[])
        self.assertEqual(d.get_info(inst).state, power_state.RUNNING)
        self.assertTrue(d.instance_exists(inst))
        self.assertIn(self.uuid, d.list_instance_uuids())
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
        self.assertIsInstance(d.get_console_output(ctx, inst), str)
        states = []
        with self.assertRaises(NotImplementedError):
            d.snapshot(ctx, inst, str(uuid.uuid4()),
                       lambda **kw: states.append(kw['task_state']))
        d.destroy(ctx, inst, [])
        self.assertFalse(d.instance_exists(inst))
        with self.assertRaises(exception.InstanceNotFound):
            d.get_info(inst)
        d.destroy(ctx, inst, [])      # already gone: success

    def test_spawn_failure_is_a_nova_exception(self):
        inst = self._instance()
        inst.uuid = str(uuid.uuid4())
        meta = objects.ImageMeta.from_dict({
            'id': str(uuid.uuid4()), 'name': 'no-such-image',
            'container_format': 'docker', 'disk_format': 'raw'})
        with self.assertRaises(exception.NovaException) as cm:
            self.driver.spawn(nova_context.get_admin_context(), inst, meta,
                              [], None, {}, network_info=[])
        self.assertIn('not present on the Docker Engine',
                      cm.exception.format_message())


class UnreachableService(unittest.TestCase):
    """A host nobody serves: node queries are 'not ready', never 'no nodes'."""

    def test_not_ready_within_probe_timeout(self):
        configure_nova()
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
