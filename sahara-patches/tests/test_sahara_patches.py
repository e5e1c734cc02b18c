"""What the patches in ../patches change, checked on whichever Sahara is first
on sys.path: each test fails on the pristine package and passes once
apply.sh has run (test/integration/sahara/sahara-patches.test.ts runs them
both ways).

Run with Debian's interpreter, which sees python3-sahara:
    /usr/bin/python3 -m unittest discover -s sahara-patches/tests
"""
import unittest
from unittest import mock

from sahara.service import engine
from sahara.service import volumes


class _Engine(engine.Engine):
    """The abstract engine with its cluster operations stubbed out."""

    def create_cluster(self, cluster):
        pass

    def get_type_and_version(self):
        pass

    def rollback_cluster(self, cluster, reason):
        pass

    def scale_cluster(self, cluster, node_group_id_map):
        pass

    def shutdown_cluster(self, cluster):
        pass


def _instance_with_remote(outputs=None):
    """An instance whose remote() records execute_command calls."""
    remote = mock.MagicMock()
    remote.execute_command.side_effect = lambda cmd, **kw: (outputs or {}).get(cmd, (0, ''))
    instance = mock.Mock()
    instance.remote.return_value.__enter__ = mock.Mock(return_value=remote)
    instance.remote.return_value.__exit__ = mock.Mock(return_value=False)
    instance.fqdn.return_value = 'worker-1.cluster.example'
    return instance, remote


class HostnameNotFatal(unittest.TestCase):
    """S1: `sudo hostname` fails in a container without CAP_SYS_ADMIN; that must not abort the cluster."""

    @mock.patch('sahara.utils.cluster.generate_etc_hosts', return_value='10.0.0.5 worker-1\n')
    def test_sudo_hostname_does_not_raise(self, _hosts):
        instance, remote = _instance_with_remote()
        _Engine()._configure_instance_etc_hosts(instance, mock.Mock())
        calls = [c for c in remote.execute_command.call_args_list if c.args[0].startswith('sudo hostname ')]
        self.assertEqual(len(calls), 1)
        self.assertEqual(calls[0].args[0], 'sudo hostname worker-1.cluster.example')
        self.assertIs(calls[0].kwargs.get('raise_when_error'), False)

    @mock.patch('sahara.utils.cluster.generate_etc_hosts', return_value='10.0.0.5 worker-1\n')
    def test_hosts_and_hostname_files_are_still_written_with_cp(self, _hosts):
        instance, remote = _instance_with_remote()
        _Engine()._configure_instance_etc_hosts(instance, mock.Mock())
        cmds = [c.args[0] for c in remote.execute_command.call_args_list]
        self.assertIn('sudo cp etc-hosts /etc/hosts', cmds)
        self.assertIn('sudo cp etc-hostname /etc/hostname', cmds)
        for c in remote.execute_command.call_args_list:
            if not c.args[0].startswith('sudo hostname '):
                self.assertNotIn('raise_when_error', c.kwargs)


class ResolvConfByCopy(unittest.TestCase):
    """S2: /etc/resolv.conf is a bind mount in a container: `mv` onto it gives EBUSY."""

    @mock.patch('sahara.utils.cluster.generate_resolv_conf_diff', return_value='nameserver 10.0.0.2\n')
    def test_resolv_conf_is_copied_then_removed(self, _diff):
        instance, remote = _instance_with_remote({'cat /etc/resolv.conf': (0, 'nameserver 127.0.0.11\n')})
        _Engine()._configure_instance_resolve_conf(instance)
        cmds = [c.args[0] for c in remote.execute_command.call_args_list]
        self.assertNotIn('sudo mv resolv-conf /etc/resolv.conf', cmds)
        self.assertEqual(cmds[-2:], ['sudo cp resolv-conf /etc/resolv.conf', 'sudo rm resolv-conf'])
        written = remote.write_file_to.call_args.args
        self.assertEqual(written[0], 'resolv-conf')
        self.assertIn('nameserver 10.0.0.2', written[1])


class NoVolumesNothingFormatted(unittest.TestCase):
    """S3: in a container lsblk shows the host's disks; an instance without volumes must not look for any."""

    def _instance(self, volumes_per_node):
        instance = mock.Mock()
        instance.node_group.volumes_per_node = volumes_per_node
        instance.instance_id = 'i-%d' % volumes_per_node
        return instance

    @mock.patch('sahara.context.set_current_instance_id', mock.MagicMock())
    @mock.patch('sahara.service.volumes._can_use_xfs', return_value=False)
    @mock.patch('sahara.service.volumes._format_device')
    @mock.patch('sahara.service.volumes._find_instance_devices', return_value=['/dev/zram0'])
    def test_instances_without_volumes_are_skipped(self, find, fmt, _xfs):
        volumes.mount_to_instances([self._instance(0)])
        find.assert_not_called()
        fmt.assert_not_called()

    @mock.patch('sahara.context.set_current_instance_id', mock.MagicMock())
    @mock.patch('sahara.service.volumes._can_use_xfs', return_value=False)
    @mock.patch('sahara.service.volumes._find_instance_devices', return_value=[])
    def test_instances_with_volumes_are_still_searched(self, find, _xfs):
        with_volumes = self._instance(2)
        volumes.mount_to_instances([self._instance(0), with_volumes])
        find.assert_called_once_with(with_volumes)


if __name__ == '__main__':
    unittest.main()
