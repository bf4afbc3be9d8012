import { BlockList, isIP } from 'node:net';

/**
 * Where the agent may download a job log from (issue 23, item 4). GHES answers "Download job
 * logs for a workflow run" with a 302 whose Location is a signed URL on its blob storage (GitHub's
 * OpenAPI description, ghes-3.19.json: responses 302 only); that storage is often another host
 * than GHES (GHES keeps Actions logs in the external blob storage the admin configures: Azure
 * Blob, Amazon S3, S3-compatible or Google Cloud Storage, GitHub docs "Enabling GitHub Actions
 * for GitHub Enterprise Server"). Whoever controls that answer (GHES itself, or whatever sits
 * between the agent and GHES) must not be able to make the agent read an address only the agent
 * can reach (a cloud metadata endpoint, a loopback service) and post the answer into Port. Pure:
 * the adapter (log-archive-fetch.ts) applies these rules to the URL and to the address it connects to.
 */
export interface LogHostRules {
  /** The configured GHES URLs (github.url and github.apiUrl): their hosts are always accepted. */
  ghesUrls: string[];
  /** github.logHosts: when not empty, the only other hosts accepted (names, compared case-insensitively). */
  logHosts: string[];
}

export type LogUrlVerdict = { ok: true; url: URL; host: string; ghesHost: boolean } | { ok: false; host: string; reason: string };

/** A host name as the URL parser gives it, without the trailing dot of a fully qualified name or IPv6 brackets. */
export function normalHost(host: string): string {
  return host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
}

/**
 * Names that mean a cloud instance's metadata service (Google: metadata.google.internal and
 * metadata.goog; AWS: instance-data(.ec2.internal); Azure and the others use the 169.254.169.254
 * address, refused below) and the loopback names of RFC 6761 §6.3 (localhost and *.localhost).
 * Refused by name as well, so a proxy that resolves them itself is not asked for them either.
 */
const FORBIDDEN_NAME =
  /^(?:metadata|metadata\.google\.internal|metadata\.goog|instance-data|instance-data\.ec2\.internal|localhost|.+\.localhost)$/;

/**
 * Addresses a job log never comes from: loopback (127/8, ::1), this host (0/8, ::; Linux
 * connects 0.0.0.0 to itself), link-local (169.254/16, where AWS, Azure, Google and others
 * serve instance metadata at 169.254.169.254, AWS ECS task metadata at 169.254.170.2; fe80::/10),
 * AWS's IPv6 metadata address fd00:ec2::254 and Alibaba Cloud's 100.100.100.200. IPv4-mapped
 * IPv6 addresses (::ffff:a.b.c.d) are checked as their IPv4 address (node:net BlockList does so).
 */
const FORBIDDEN: Array<[string, number, 'ipv4' | 'ipv6', string]> = [
  ['127.0.0.0', 8, 'ipv4', 'a loopback address'],
  ['0.0.0.0', 8, 'ipv4', 'an address of this host'],
  ['169.254.0.0', 16, 'ipv4', 'a link-local address (where cloud metadata services answer)'],
  ['100.100.100.200', 32, 'ipv4', 'a cloud metadata address'],
  ['::1', 128, 'ipv6', 'a loopback address'],
  ['::', 128, 'ipv6', 'an address of this host'],
  ['fe80::', 10, 'ipv6', 'a link-local address'],
  ['fd00:ec2::254', 128, 'ipv6', 'a cloud metadata address'],
];
const blocks = FORBIDDEN.map(([net, prefix, type, reason]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, type);
  return { list, reason };
});

/** Why `address` (an IP address) is refused, or undefined when it is not. */
export function forbiddenAddress(address: string): string | undefined {
  const ip = normalHost(address);
  const type = isIP(ip) === 6 ? 'ipv6' : isIP(ip) === 4 ? 'ipv4' : undefined;
  if (!type) return 'not an IP address';
  return blocks.find((b) => b.list.check(ip, type))?.reason;
}

export function isGhesHost(rules: LogHostRules, host: string): boolean {
  return rules.ghesUrls.some((u) => normalHost(new URL(u).hostname) === normalHost(host));
}

/**
 * Whether the agent may download `location` (GHES's Location header, resolved against the API
 * URL as a relative reference would be): https only, except to GHES's own host when GHES itself
 * is configured over http (nothing is then exposed that the GHES connection does not already
 * expose); no credentials in the URL; with github.logHosts set, only GHES's hosts and those; and
 * never a host that names a loopback, link-local or metadata address. A DNS name's addresses are
 * checked when the connection is made (log-archive-fetch.ts), since only then is it known where
 * the name leads. GHES's own hosts are always accepted: the agent already trusts them with its
 * credentials, and a GHES on the agent's own machine (tests, a sidecar) is the operator's choice.
 */
export function checkLogUrl(rules: LogHostRules, location: string): LogUrlVerdict {
  let url: URL;
  try {
    url = new URL(location, rules.ghesUrls[rules.ghesUrls.length - 1]);
  } catch {
    return { ok: false, host: '', reason: 'GHES gave no valid URL' };
  }
  const host = normalHost(url.hostname);
  const ghesHost = isGhesHost(rules, host);
  const refuse = (reason: string): LogUrlVerdict => ({ ok: false, host, reason });
  if (url.protocol !== 'https:') {
    const plainGhes =
      url.protocol === 'http:' && rules.ghesUrls.some((u) => new URL(u).protocol === 'http:' && normalHost(new URL(u).hostname) === host);
    if (!plainGhes) return refuse(`its scheme is ${url.protocol.replace(/:$/, '')}, not https`);
  }
  if (url.username || url.password) return refuse('the URL carries credentials');
  if (ghesHost) return { ok: true, url, host, ghesHost };
  const listed = rules.logHosts.map(normalHost);
  if (listed.length > 0 && !listed.includes(host)) return refuse('the host is not GHES and not in github.logHosts');
  if (FORBIDDEN_NAME.test(host)) return refuse('the host is a loopback or cloud metadata name');
  if (isIP(host)) {
    const why = forbiddenAddress(host);
    if (why) return refuse(`the host is ${why}`);
  }
  return { ok: true, url, host, ghesHost };
}
