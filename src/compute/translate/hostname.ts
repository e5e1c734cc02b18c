/**
 * Instance → container Hostname/Domainname, as Nova names guests: the host name
 * is `instance.hostname` (which Sahara also uses as the instance name) and the
 * domain is `[compute] dhcp_domain` (Nova's `[api] dhcp_domain`). A dotted
 * hostname carries its own domain. Without a hostname, Nova's own fallback
 * `Server-<uuid>` style is replaced by `instance-<first 8 of uuid>`.
 */

export interface HostIdentity {
  /** Short host name (first label), at most 63 characters. */
  readonly hostname: string;
  /** DNS domain, or null for none. */
  readonly domainname: string | null;
  /** hostname[.domainname] */
  readonly fqdn: string;
}

export function hostIdentity(instance: { readonly uuid: string; readonly hostname: string | null }, dhcpDomain: string): HostIdentity {
  const raw = instance.hostname ?? `instance-${instance.uuid.slice(0, 8)}`;
  const dot = raw.indexOf('.');
  const hostname = (dot < 0 ? raw : raw.slice(0, dot)).toLowerCase();
  const ownDomain = dot < 0 ? null : raw.slice(dot + 1).toLowerCase();
  const domain = ownDomain ?? (dhcpDomain.trim() === '' ? null : dhcpDomain.trim().toLowerCase());
  return { hostname, domainname: domain, fqdn: domain === null ? hostname : `${hostname}.${domain}` };
}
