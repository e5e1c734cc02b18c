"""The real services the driver tests use, and how to start them.

* Nova's configuration, parsed once per process as nova-compute parses it,
  with Nova's own RPC transport on the local RabbitMQ and a SQLite Nova
  database (Nova's own schema, migrated by Nova's own db_sync): the Service,
  Instance and Migration records the driver reads and writes go to a real
  database, directly instead of through nova-conductor.
* the compute service (``node bin/nova-docker-bridge.js serve``, or
  ``$NOVA_SHIM_TEST_BRIDGE_CMD``), one process per test class, on a host name
  of its own so that nothing else on the broker answers;
* the test Glance (scripts/start-glance.sh, shared with the TypeScript
  integration tests), for snapshots and image downloads;
* dockerd and the test image (scripts/build-test-image.sh).

Nothing here skips: a missing service is an AssertionError naming the fix.
"""
import json
import os
import shlex
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid

import nova.conf
from nova import config as nova_config
from nova import objects

import _path

objects.register_all()

CONF = nova.conf.CONF
REPO = os.path.dirname(_path.SHIM_ROOT)
TEST_IMAGE = 'nova-docker-bridge-test/busybox:latest'
RABBIT = os.environ.get('NOVA_SHIM_TEST_RABBIT',
                        'rabbit://guest:guest@127.0.0.1:5672/')
# The host name of this test process: nova.conf [DEFAULT] host.
HOST = 'shimtest-%s' % uuid.uuid4().hex[:8]
MY_IP = '192.0.2.7'

_CONFIGURED = []


def sh(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def configure_nova():
    """Parses a nova.conf as nova-compute does and creates the database."""
    if _CONFIGURED:
        return
    tmp = tempfile.mkdtemp(prefix='shimtest-nova-')
    path = os.path.join(tmp, 'nova.conf')
    with open(path, 'w') as f:
        f.write('[DEFAULT]\nhost = %s\nmy_ip = %s\ntransport_url = %s\n'
                '[database]\nconnection = sqlite:///%s/nova.sqlite\n'
                '[docker_bridge]\ninit_host_timeout = 60\nprobe_timeout = 4\n'
                % (HOST, MY_IP, RABBIT, tmp))
    nova_config.parse_args(['test', '--config-file', path],
                           default_config_files=[], configure_db=True)
    from nova.db import migration
    migration.db_sync(database='main')
    _CONFIGURED.append(path)


def require_test_image():
    r = sh('docker', 'image', 'inspect', '-f', '{{.Id}}', TEST_IMAGE)
    if r.returncode != 0:
        raise AssertionError('test image %s missing (scripts/setup.sh builds '
                             'it): %s' % (TEST_IMAGE, r.stderr))
    return r.stdout.strip()


_GLANCE = []


def glance_url():
    """The test Glance's URL (scripts/start-glance.sh: idempotent)."""
    if not _GLANCE:
        r = subprocess.run(['bash', os.path.join(REPO, 'scripts',
                                                 'start-glance.sh'),
                            '--quiet'],
                           capture_output=True, text=True, timeout=600,
                           check=False)
        url = r.stdout.strip().split('\n')[-1]
        if r.returncode != 0 or not url.startswith('http://'):
            raise AssertionError('the test Glance did not start '
                                 '(scripts/start-glance.sh): %s' % r.stderr)
        _GLANCE.append(url)
    return _GLANCE[0]


def glance(method, path, body=None):
    """One request to the test Glance (noauth: every request is admin)."""
    req = urllib.request.Request(
        glance_url() + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            data = resp.read()
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise
    return json.loads(data) if data else None


class Bridge(object):
    """A compute service process serving ``host`` on the local broker."""

    def __init__(self, host):
        self.host = host
        self.tmp = tempfile.mkdtemp(prefix='shimtest-bridge-')
        self.conf = os.path.join(self.tmp, 'bridge.conf')
        with open(self.conf, 'w') as f:
            f.write('[DEFAULT]\nhost = %s\ntransport_url = %s\n'
                    '[compute]\nstate_dir = %s/instances\n'
                    '[glance]\napi_servers = %s\n'
                    % (host, RABBIT, self.tmp, glance_url()))
        self.log_path = os.path.join(self.tmp, 'bridge.log')
        self.proc = None

    def start(self):
        cmd = shlex.split(os.environ.get(
            'NOVA_SHIM_TEST_BRIDGE_CMD',
            'node %s/bin/nova-docker-bridge.js serve' % REPO))
        log = open(self.log_path, 'a')
        self.proc = subprocess.Popen(cmd + ['--config-file', self.conf],
                                     stdout=log, stderr=subprocess.STDOUT,
                                     cwd=REPO)
        log.close()

    def stop(self):
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def tail(self, chars=3000):
        with open(self.log_path) as f:
            return f.read()[-chars:]


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except Exception:  # noqa: BLE001 - retried until the deadline
            value = None
            if time.monotonic() >= deadline:
                raise
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError('%s: not within %s s' % (what, timeout))
        time.sleep(0.3)


def container_limits(instance_uuid):
    """(NanoCpus, CpuQuota, Memory) of the instance's container."""
    r = sh('docker', 'inspect', '-f',
           '{{.HostConfig.NanoCpus}} {{.HostConfig.CpuQuota}} '
           '{{.HostConfig.Memory}} {{.State.Status}}',
           'nova-%s' % instance_uuid)
    if r.returncode != 0:
        raise AssertionError('no container for %s: %s'
                             % (instance_uuid, r.stderr))
    nano, quota, memory, status = r.stdout.split()
    return {'nano_cpus': int(nano), 'cpu_quota': int(quota),
            'memory': int(memory), 'status': status}


def flavor(vcpus=1, memory_mb=64, name='m1.tiny', extra_specs=None, **kw):
    fields = dict(vcpus=vcpus, memory_mb=memory_mb, root_gb=1,
                  ephemeral_gb=0, swap=0, name=name,
                  extra_specs=extra_specs or {})
    fields.update(kw)
    return objects.Flavor(**fields)
