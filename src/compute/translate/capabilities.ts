/**
 * Linux capability names as Docker's CapAdd takes them ("SYS_ADMIN"). Accepts
 * the "CAP_" prefix and any case; refuses anything that is not a capability
 * name, so a typo in the config stops start-up instead of failing every spawn.
 */

/** Capabilities the Linux kernel defines (Docker validates against the same list). */
export const KNOWN_CAPABILITIES = [
  'AUDIT_CONTROL', 'AUDIT_READ', 'AUDIT_WRITE', 'BLOCK_SUSPEND', 'BPF', 'CHECKPOINT_RESTORE', 'CHOWN', 'DAC_OVERRIDE',
  'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'IPC_LOCK', 'IPC_OWNER', 'KILL', 'LEASE', 'LINUX_IMMUTABLE', 'MAC_ADMIN',
  'MAC_OVERRIDE', 'MKNOD', 'NET_ADMIN', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_RAW', 'PERFMON', 'SETFCAP', 'SETGID',
  'SETPCAP', 'SETUID', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_CHROOT', 'SYS_MODULE', 'SYS_NICE', 'SYS_PACCT', 'SYS_PTRACE',
  'SYS_RAWIO', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'SYSLOG', 'WAKE_ALARM',
] as const;

/** Normalizes "cap_sys_admin" / "SYS_ADMIN" → "SYS_ADMIN"; throws on unknown names. */
export function parseCapability(raw: string): string {
  const name = raw.trim().toUpperCase().replace(/^CAP_/, '');
  if (!(KNOWN_CAPABILITIES as readonly string[]).includes(name)) {
    throw new Error(`unknown Linux capability ${JSON.stringify(raw)} (e.g. SYS_ADMIN, SYS_RESOURCE, NET_ADMIN)`);
  }
  return name;
}
