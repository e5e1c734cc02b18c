"""JSON projections of real Nova objects (docs/bus-api.md shapes)."""
import base64
import json
import unittest

import _path  # noqa: F401

from nova import objects
from nova.network import model as network_model

objects.register_all()

from nova.virt.docker_bridge import projection  # noqa: E402

UUID = '9f3c1a52-6c1e-4a7e-b0a4-0e4c5d9d2b10'


def _flavor():
    return objects.Flavor(vcpus=2, memory_mb=2048, root_gb=20, ephemeral_gb=0,
                          swap=512, name='m1.medium',
                          extra_specs={'docker:cap_add': 'SYS_ADMIN'})


def _instance(**kw):
    fields = dict(uuid=UUID, id=14, hostname='cdh-worker-1',
                  display_name='CDH worker 1', project_id='p1', user_id='u1',
                  flavor=_flavor(), metadata={'role': 'worker'},
                  system_metadata={'image_os_command_line': 'sleep 1',
                                   'image_min_ram': None},
                  key_data='ssh-ed25519 AAAA u@h', key_name='k',
                  user_data=base64.b64encode(b'#!/bin/sh\n').decode(),
                  image_ref='0b6c2d5e-1111-4e2b-8c55-3a2d1c0e9f00',
                  availability_zone='nova')
    fields.update(kw)
    return objects.Instance(**fields)


class InstanceProjection(unittest.TestCase):

    def test_full_has_nova_field_names_and_json_values(self):
        out = projection.instance_full(_instance())
        self.assertEqual(out['uuid'], UUID)
        self.assertEqual(out['name'], 'instance-0000000e')
        self.assertEqual(out['hostname'], 'cdh-worker-1')
        self.assertEqual(out['flavor'], {
            'vcpus': 2, 'memory_mb': 2048, 'root_gb': 20, 'ephemeral_gb': 0,
            'swap': 512, 'name': 'm1.medium',
            'extra_specs': {'docker:cap_add': 'SYS_ADMIN'}})
        self.assertEqual(out['metadata'], {'role': 'worker'})
        self.assertEqual(out['system_metadata'],
                         {'image_os_command_line': 'sleep 1',
                          'image_min_ram': None})
        self.assertEqual(out['key_data'], 'ssh-ed25519 AAAA u@h')
        self.assertEqual(base64.b64decode(out['user_data']), b'#!/bin/sh\n')
        # Must survive the bus's JSON encoding unchanged.
        self.assertEqual(json.loads(json.dumps(out)), out)

    def test_ref_reads_only_loaded_fields(self):
        # An instance with only a UUID (e.g. half-deleted): no lazy-load,
        # which would need a context and the conductor.
        inst = objects.Instance(uuid=UUID)
        out = projection.instance_ref(inst)
        self.assertEqual(out['uuid'], UUID)
        self.assertIsNone(out['hostname'])
        self.assertIsNone(out['name'])   # no id: the template cannot render
        self.assertNotIn('flavor', out)


class ImageMetaProjection(unittest.TestCase):

    def test_set_properties_only(self):
        meta = objects.ImageMeta.from_dict({
            'id': '0b6c2d5e-1111-4e2b-8c55-3a2d1c0e9f00', 'name': 'busybox',
            'container_format': 'docker', 'disk_format': 'raw',
            'properties': {'os_command_line': 'sleep 1',
                           'hw_architecture': 'x86_64',
                           'docker_cmd': 'dropped by ImageMetaProps'}})
        out = projection.image_meta(meta)
        self.assertEqual(out['id'], '0b6c2d5e-1111-4e2b-8c55-3a2d1c0e9f00')
        self.assertEqual(out['container_format'], 'docker')
        self.assertEqual(out['disk_format'], 'raw')
        self.assertEqual(out['properties'], {'os_command_line': 'sleep 1',
                                             'hw_architecture': 'x86_64'})
        self.assertEqual(json.loads(json.dumps(out)), out)

    def test_image_without_id(self):
        out = projection.image_meta(objects.ImageMeta.from_dict({}))
        self.assertIsNone(out['id'])
        self.assertEqual(out['properties'], {})


class NetworkInfoProjection(unittest.TestCase):

    def test_vif_dicts_with_subnets_dns_and_ips(self):
        subnet = network_model.Subnet(
            cidr='10.0.0.0/24',
            dns=[network_model.IP(address='10.0.0.2', type='dns')],
            ips=[network_model.FixedIP(address='10.0.0.5')])
        vif = network_model.VIF(
            id='vif-1', address='fa:16:3e:00:00:01',
            network=network_model.Network(id='net-1', label='private',
                                          subnets=[subnet]))
        out = projection.network_info(network_model.NetworkInfo([vif]))
        self.assertEqual(len(out), 1)
        self.assertEqual(out[0]['id'], 'vif-1')
        self.assertEqual(out[0]['address'], 'fa:16:3e:00:00:01')
        s = out[0]['network']['subnets'][0]
        self.assertEqual(s['cidr'], '10.0.0.0/24')
        self.assertEqual(s['dns'][0]['address'], '10.0.0.2')
        self.assertEqual(s['ips'][0]['address'], '10.0.0.5')
        self.assertEqual(json.loads(json.dumps(out)), out)

    def test_no_network(self):
        self.assertEqual(projection.network_info(None), [])
        self.assertEqual(projection.network_info(network_model.NetworkInfo()), [])


class InjectedFiles(unittest.TestCase):

    def test_bytes_and_text_become_base64(self):
        out = projection.injected_files([('/etc/motd', b'hi\n'),
                                         ('/etc/x', 'é')])
        self.assertEqual(out, [['/etc/motd', 'aGkK'],
                               ['/etc/x', base64.b64encode('é'.encode()).decode()]])


if __name__ == '__main__':
    unittest.main()
