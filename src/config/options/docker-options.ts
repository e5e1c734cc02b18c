import { intOpt, optionalStringOpt, stringOpt } from '../option-types.js';
import { parseDockerHostUrl } from '../../docker/docker-host-url.js';

/** `[docker]`: how the service reaches the Docker Engine (nova-docker's option names). */
export const dockerSection = {
  help: 'Connection to the Docker Engine. A local Unix socket by default; a remote Engine over TCP with TLS client certificates as nova-docker offered.',
  options: {
    host_url: stringOpt({
      help: 'Where the Engine listens: unix:///path/to/docker.sock, tcp://host:port (TLS when ca_file/cert_file/key_file are set), https://host:port (TLS) or http://host:port (plain, not recommended). Per-instance /etc/hosts files are bind-mounted from this machine, so a remote Engine needs [compute] state_dir on a path shared with it.',
      default: 'unix:///var/run/docker.sock',
      nonEmpty: true,
      patternText: 'unix:///path | tcp://host[:port] | https://host[:port] | http://host[:port]',
      validate: (raw) => void parseDockerHostUrl(raw),
    }),
    ca_file: optionalStringOpt({ help: 'CA certificate (PEM) that signed the remote Engine\'s server certificate.', default: null }),
    cert_file: optionalStringOpt({ help: 'Client certificate (PEM) presented to the remote Engine; needs key_file.', default: null }),
    key_file: optionalStringOpt({ help: 'Private key (PEM) of cert_file.', default: null }),
    api_timeout: intOpt({
      help: 'Seconds one Docker API call may take before it fails with a timeout. Calls that wait on purpose (stopping a container) get their grace period on top.',
      default: 60,
      min: 1,
      max: 3600,
    }),
  },
} as const;
