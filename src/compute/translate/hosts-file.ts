/**
 * The per-instance /etc/hosts file. Docker rewrites its own /etc/hosts on every
 * start (Sahara's cluster entries would vanish) and the bind-mounted file
 * cannot be replaced with `mv` (EBUSY), only written in place; a file of our own,
 * bind-mounted writable from the state directory, keeps edits across restarts.
 */
import type { BindMount } from '../../docker/docker-engine.js';
import type { HostIdentity } from './hostname.js';

/** Initial content: loopback names plus the instance's own name on 127.0.1.1 (Debian's convention). */
export function hostsFileContent(id: HostIdentity): string {
  const self = id.fqdn === id.hostname ? id.hostname : `${id.fqdn} ${id.hostname}`;
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    `127.0.1.1\t${self}`,
    '',
  ].join('\n');
}

export function hostsFileMount(hostPath: string): BindMount {
  return { source: hostPath, target: '/etc/hosts', readOnly: false };
}
