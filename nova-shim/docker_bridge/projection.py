"""JSON projections of Nova objects for the bus (docs/bus-api.md).

Nova's field names, plain JSON values. The compute service validates these
(src/compute/payloads.ts); nothing here knows about Docker.

Two instance projections: ``instance_full`` for spawn, which may lazy-load
flavor/metadata/system_metadata from the conductor (a green RPC), and
``instance_ref`` for every other call, which reads only what is already
loaded, so that operations on half-deleted instances (destroy after a failed
build, the reaper) never trip over a lazy-load.
"""
import base64

from oslo_serialization import jsonutils

# Identity fields of Instance that are plain columns: always loaded.
_REF_FIELDS = ('uuid', 'hostname', 'display_name', 'project_id', 'user_id')

# Flavor fields the service reads.
_FLAVOR_FIELDS = ('vcpus', 'memory_mb', 'root_gb', 'ephemeral_gb', 'swap',
                  'name')


def _is_set(obj, field):
    try:
        return obj.obj_attr_is_set(field)
    except AttributeError:      # not a versioned object (tests, dicts)
        return hasattr(obj, field)


def loaded(obj, field, default=None):
    """The field if it is loaded, else ``default``; never lazy-loads."""
    if not _is_set(obj, field):
        return default
    return getattr(obj, field)




def _str_map(value):
    """dict(str -> str|None), dropping nothing: Nova metadata is str->str."""
    if not value:
        return {}
    return {str(k): (None if v is None else str(v)) for k, v in dict(value).items()}


def _instance_name(instance):
    # ``name`` is a property built from instance_name_template; with the
    # default template it needs ``id``, which an instance always has once it
    # is in the DB. Anything odd: leave it out (it is optional on the bus).
    try:
        return instance.name
    except Exception:  # noqa: BLE001 - optional field, never fail a call on it
        return None


def instance_ref(instance):
    """The instance's identity: uuid, name, hostname, display_name, project and user."""
    out = {f: loaded(instance, f) for f in _REF_FIELDS}
    out['name'] = _instance_name(instance)
    return out


def flavor(flv):
    out = {f: getattr(flv, f) for f in _FLAVOR_FIELDS}
    out['extra_specs'] = _str_map(getattr(flv, 'extra_specs', None))
    return out


def instance_full(instance):
    """Everything spawn needs; may lazy-load flavor and the metadata dicts."""
    out = instance_ref(instance)
    out['flavor'] = flavor(instance.flavor)
    out['metadata'] = _str_map(instance.metadata)
    out['system_metadata'] = _str_map(instance.system_metadata)
    out['key_data'] = loaded(instance, 'key_data')
    out['key_name'] = loaded(instance, 'key_name')
    out['user_data'] = loaded(instance, 'user_data')
    out['image_ref'] = loaded(instance, 'image_ref')
    out['availability_zone'] = loaded(instance, 'availability_zone')
    return out


def image_meta(meta):
    """objects.ImageMeta -> {id, name, container_format, disk_format, properties}.

    ``properties`` holds only the ImageMetaProps fields that are set (Nova
    drops custom Glance properties there; they arrive in
    instance.system_metadata as ``image_<key>``).
    """
    if meta is None:
        return None
    out = {f: loaded(meta, f) for f in ('id', 'name', 'container_format',
                                         'disk_format')}
    props = loaded(meta, 'properties')
    out['properties'] = {}
    if props is not None:
        fields = getattr(props, 'fields', None) or {}
        out['properties'] = jsonutils.to_primitive(
            {k: getattr(props, k) for k in fields if _is_set(props, k)},
            convert_instances=True)
    return out


def network_info(nw_info):
    """NetworkInfo (a list of VIF dicts) -> JSON list.

    Iterating a NetworkInfoAsyncWrapper waits (green) for Neutron's port
    allocation to finish, which is what spawn must do anyway.
    """
    if not nw_info:
        return []
    return [jsonutils.to_primitive(dict(vif), convert_instances=True)
            for vif in nw_info]


def injected_files(files):
    """[(path, bytes|str), ...] -> [[path, base64], ...]."""
    out = []
    for path, content in files or ():
        if isinstance(content, str):
            content = content.encode('utf-8')
        out.append([path, base64.b64encode(content).decode('ascii')])
    return out


