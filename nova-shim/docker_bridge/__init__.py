"""Nova compute driver that runs instances as Docker containers through the
nova-docker-bridge compute service (``compute_driver =
docker_bridge.DockerBridgeDriver``; installed as ``nova/virt/docker_bridge``
by nova-shim/install.sh)."""
from .driver import DockerBridgeDriver  # noqa: F401
