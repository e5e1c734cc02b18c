import { boolOpt, enumOpt, intOpt, listOpt, stringOpt } from '../option-types.js';
import { parseCapability } from '../../compute/translate/capabilities.js';
import { parseEphemeralMountPoint } from '../../compute/translate/ephemeral-storage.js';
import { FLAVOR_EXTRA_SPEC_KEYS } from '../../compute/translate/flavor-extra-specs.js';
import { parsePortPublication } from '../../compute/translate/published-ports.js';
import { parseUlimit } from '../../compute/translate/ulimits.js';

/**
 * `[compute]`: how Nova instances become containers. Everything that widens a
 * container's privileges lives here (operator-controlled), never in anything a
 * tenant can set.
 */
export const computeSection = {
  help: 'How the compute driver turns Nova instances into containers (limits, networking, privileges, injection).',
  options: {
    state_dir: stringOpt({
      help: 'Directory for per-instance state: the bind-mounted /etc/hosts file and operation markers used by start-up reconciliation. Must be on the Docker Engine\'s host.',
      default: '/var/lib/nova-docker-bridge/instances',
      pattern: /^\/.*/,
      patternText: 'an absolute path',
    }),
    max_concurrent_operations: intOpt({
      help: 'Instance operations (spawn, destroy, power, …) run against the Engine at once; further ones queue. Operations on one instance always run one at a time. A spawn waiting for its image (a Glance download) does not count until the image is there.',
      default: 10,
      min: 1,
      max: 1000,
    }),
    cpu_limit_mode: enumOpt({
      help: 'How flavor vCPUs become a CPU limit: nano_cpus (HostConfig.NanoCpus = vcpus, capped at the host\'s CPUs), quota (CpuQuota = vcpus × cpu_period_us), shares (relative weight only, vcpus × cpu_shares_per_vcpu, as nova-docker did) or none.',
      default: 'nano_cpus',
      choices: ['nano_cpus', 'quota', 'shares', 'none'] as const,
    }),
    cpu_period_us: intOpt({ help: 'CFS period in microseconds for cpu_limit_mode = quota.', default: 100000, min: 1000, max: 1000000 }),
    cpu_shares_per_vcpu: intOpt({ help: 'CPU shares per flavor vCPU for cpu_limit_mode = shares.', default: 1024, min: 2, max: 262144 }),
    swap_from_flavor: boolOpt({
      help: 'Allow as much swap as the flavor\'s swap (MB) on top of its memory; false gives containers no swap at all.',
      default: true,
    }),
    dhcp_domain: stringOpt({
      help: 'Domain of instance host names, as Nova\'s [api] dhcp_domain: the container gets Hostname = instance.hostname and Domainname = this. Empty for none.',
      default: 'novalocal',
      pattern: /^$|^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
      patternText: 'a DNS domain name, or empty',
    }),
    network_mode: enumOpt({
      help:
        'Network of every container: bridge (Docker\'s NAT bridge), none (no network), host (the host\'s network namespace; no isolation) or neutron: the instance\'s Neutron ports are plugged into the container (Docker network none, then one veth pair per port after every start: the host end, named as Neutron\'s agent expects, joins the port\'s bridge; the container end, eth0, eth1, …, gets the port\'s MAC, fixed IPs, gateway and host routes). neutron needs Neutron\'s linuxbridge mechanism driver (VIF type bridge), the Engine on this machine ([docker] host_url unix://…), and ip (iproute2) and nsenter (util-linux).',
      default: 'bridge',
      choices: ['bridge', 'none', 'host', 'neutron'] as const,
    }),
    publish_all_ports: boolOpt({
      help: 'Publish every port the image EXPOSEs on random host ports (bridge network only). Off by default: Sahara reaches instances on their own addresses.',
      default: false,
    }),
    published_ports: listOpt({
      help: 'Ports published for every container (bridge network only), in docker -p syntax: [host_ip:][host_port:]container_port[/tcp|udp|sctp]. A fixed host port can be used by one container at a time.',
      default: [],
      itemText: '[host_ip:][host_port:]port[/proto]',
      item: (s) => {
        parsePortPublication(s);
        return s;
      },
    }),
    cap_add: listOpt({
      help: 'Linux capabilities added to every container, e.g. SYS_ADMIN (lets `sudo hostname` work, which Sahara needs). Prefer this over privileged, but SYS_ADMIN still lets a container\'s root mount and unshare: where tenants share hosts prefer Sahara patch S1 (a failing `sudo hostname` made non-fatal; the hostname is already right) or a per-flavor grant (allowed_flavor_extra_specs).',
      default: [],
      itemText: 'capability names (SYS_ADMIN or CAP_SYS_ADMIN)',
      item: (s) => parseCapability(s),
    }),
    privileged: boolOpt({
      help: 'Run every container privileged. Dangerous: the host\'s devices appear in the container and Sahara may format unmounted host disks. Use cap_add and ulimits instead.',
      default: false,
    }),
    allowed_flavor_extra_specs: listOpt({
      help: `Flavor extra specs that may widen a container's privileges; others are ignored. Known keys: ${FLAVOR_EXTRA_SPEC_KEYS.join(', ')}. Flavors are admin-defined; image properties and instance metadata can never grant privileges.`,
      default: [],
      itemText: `one of ${FLAVOR_EXTRA_SPEC_KEYS.join(', ')}`,
      item: (s) => {
        if (!(FLAVOR_EXTRA_SPEC_KEYS as readonly string[]).includes(s)) throw new Error(`unknown extra spec ${JSON.stringify(s)}: known are ${FLAVOR_EXTRA_SPEC_KEYS.join(', ')}`);
        return s;
      },
    }),
    ulimits: listOpt({
      help: 'Resource limits of container processes as name=soft[:hard], e.g. nofile=65536:65536,nproc=32768 (Cloudera Manager\'s su/pam_limits needs them at or above its limits.d values).',
      default: [],
      itemText: 'name=soft[:hard]',
      item: (s) => {
        parseUlimit(s);
        return s;
      },
    }),
    init: boolOpt({
      help: 'Run Docker\'s init as PID 1 so SIGTERM reaches the command (a plain `sleep` or shell as PID 1 ignores it and every stop waits for the full timeout).',
      default: true,
    }),
    metadata_to_env: boolOpt({ help: 'Expose instance metadata as environment variables (names sanitized; reserved names such as PATH are never overridden).', default: true }),
    manage_hosts_file: boolOpt({
      help: 'Give each container its own /etc/hosts file from state_dir, bind-mounted writable, so edits (Sahara writes cluster entries) survive restarts. Docker otherwise regenerates /etc/hosts on every start.',
      default: true,
    }),
    ephemeral_mount_point: stringOpt({
      help:
        'Where a flavor\'s ephemeral disk appears in the container, as cloud-init mounts it in a VM: a per-instance directory in state_dir, bind-mounted writable here. Data in it bypasses the overlay filesystem, survives reboots, is left out of snapshots and is deleted with the instance; its size (ephemeral_gb) is counted in local_gb_used but not enforced. Sahara keeps HDFS data in /mnt when a node group has no volumes. Empty: no mount (the data stays in the root filesystem).',
      default: '/mnt',
      patternText: 'an absolute path outside the system directories, or empty',
      validate: (raw) => {
        parseEphemeralMountPoint(raw);
      },
    }),
    inject_key: boolOpt({ help: 'Append instance.key_data to the authorized_keys of key_injection_user before the first start.', default: true }),
    key_injection_user: stringOpt({
      help: 'User whose ~/.ssh/authorized_keys receives the instance key (looked up in the image\'s /etc/passwd).',
      default: 'root',
      pattern: /^[a-z_][a-z0-9_-]{0,31}\$?$/,
      patternText: 'a POSIX user name',
    }),
    inject_password: boolOpt({
      help: 'Set the admin password Nova sends for key_injection_user with the image\'s chpasswd after start. Off by default, as Nova\'s libvirt inject_password; images without chpasswd are left unchanged (logged).',
      default: false,
    }),
    run_user_data: boolOpt({
      help:
        'Run the instance\'s user data after its first start, as cloud-init would in a VM: a script (#!), or the scripts of a MIME multipart (Heat\'s formats: x-shellscript parts and cfn-userdata; x-cfninitdata parts are written to /var/lib/heat-cfntools), optionally gzipped. Runs as root with /bin/sh, once per instance (at its first start: for an instance spawned powered off, its first power-on), in the background (the instance is ACTIVE meanwhile); output goes to /var/lib/nova-docker-bridge/user-data/output.log in the container. cloud-config and other cloud-init formats are not understood (logged). Sahara needs this: its cluster key and Heat\'s wait-condition notification arrive only in user data. Turn off for images that run cloud-init themselves.',
      default: true,
    }),
    user_data_timeout: intOpt({
      help: 'Seconds the service follows a user-data script before it logs it as still running and stops waiting (the script goes on).',
      default: 3600,
      min: 1,
      max: 86400,
    }),
    glance_image_repository: stringOpt({
      help: 'Downloaded Glance images are tagged <this>:<Glance image ID>, which is how spawn finds them on the host (see local_image_lookup).',
      default: 'glance-image',
      pattern: /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/,
      patternText: 'a lowercase Docker repository name',
    }),
    local_image_lookup: enumOpt({
      help:
        'Which local Docker images a spawn may boot without downloading from Glance. "glance-id": only <glance_image_repository>:<Glance image ID>, the tag a verified download gives; anything else is downloaded (the safe choice where tenants share hosts: Glance names and the docker_image_id property are chosen by the image owner, and would let one tenant boot another\'s image by naming it). ' +
        '"any": then also the Docker image ID recorded in Glance (docker_image_id) and the Glance image name as a Docker reference, as nova-docker did (single-tenant clouds, images pre-loaded on the hosts).',
      default: 'glance-id',
      choices: ['glance-id', 'any'] as const,
    }),
    allowed_container_formats: listOpt({
      help: 'Glance container_format values accepted for spawning (nova-docker required "docker").',
      default: ['docker'],
      itemText: 'container formats',
      nonEmpty: true,
    }),
    start_grace_ms: intOpt({
      help: 'After starting a container (spawn, power_on, reboot), milliseconds its command must keep running for the start to count; a command that dies sooner fails the call with its exit code and output. 0 checks once, right after the start (fastest; a command that dies a moment later then shows up as SHUTDOWN in get_info). Each start takes this much longer.',
      default: 0,
      min: 0,
      max: 60000,
    }),
    soft_reboot_timeout: intOpt({ help: 'Seconds a soft reboot waits for the command to exit after SIGTERM before SIGKILL.', default: 120, min: 0, max: 3600 }),
    console_log_lines: intOpt({ help: 'get_console_output returns at most this many last lines of the container log.', default: 1000, min: 1, max: 100000 }),
    console_log_max_bytes: intOpt({ help: 'get_console_output returns at most this many bytes (Nova\'s libvirt driver uses 100 KiB).', default: 102400, min: 1024, max: 10485760 }),
  },
} as const;
