"""Python side of nova-docker-bridge: exception classes a Python caller re-raises."""
