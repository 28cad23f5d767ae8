// Where webhooks may go: the destination policy, applied to the address actually connected to.
//
// A LAN device's receivers live on the LAN (Home Assistant, Node-RED, a NAS) or on this machine, so
// private and loopback addresses are allowed. Refused unless the operator allows them: addresses that
// are never a receiver but are an attacker's favourite target, above all the cloud metadata services
// that hand out credentials (169.254.169.254 and its aliases), link-local, "this host" (0.0.0.0
// reaches the local machine on Linux), multicast and reserved space. IPv6 forms that embed an IPv4
// address (IPv4-mapped, NAT64, 6to4) are judged by that IPv4 address.
//
// The check runs where the connection is made (transport.ts: the resolver's answers are filtered
// before connecting, an address literal is checked before connecting, and the socket's peer after),
// so a DNS record that changes between subscribe time and delivery, or between two attempts, cannot
// steer a delivery to a refused address. Numeric spellings (2130706433, 0x7f000001, 127.1, 0177.0.0.1)
// are normalised by the URL parser (WHATWG host parsing) before anything looks at the host.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/** The ranges refused by default, with why (shown in the delivery log and in 400 answers). */
export const REFUSED_RANGES: readonly { range: string; why: string }[] = [
  { range: '169.254.0.0/16', why: 'link-local (cloud metadata at 169.254.169.254)' },
  { range: '100.100.100.200/32', why: 'cloud metadata (Alibaba)' },
  { range: '192.0.0.0/24', why: 'IETF protocol assignments (Oracle metadata at 192.0.0.192)' },
  { range: '0.0.0.0/8', why: '"this host" (reaches this machine)' },
  { range: '224.0.0.0/4', why: 'multicast' },
  { range: '240.0.0.0/4', why: 'reserved (and broadcast)' },
  { range: 'fe80::/10', why: 'link-local' },
  { range: 'fd00:ec2::254/128', why: 'cloud metadata (AWS IPv6)' },
  { range: '::/128', why: 'unspecified (reaches this machine)' },
  { range: 'ff00::/8', why: 'multicast' },
];

const LOOPBACK = ['127.0.0.0/8', '::1/128'];

export interface DestinationOptions {
  /** Addresses or CIDR ranges allowed although refused by default (e.g. a receiver on link-local). */
  allow?: readonly string[];
  /** Addresses or CIDR ranges refused besides the defaults. */
  deny?: readonly string[];
  /** Whether receivers on this machine (127.0.0.0/8, ::1) are allowed. Default: true. */
  loopback?: boolean;
}

/** A destination refused by the policy: errorClass `destination` in the delivery log. */
export class DestinationError extends Error {
  override name = 'DestinationError';
  readonly code = 'destination_refused';
  readonly address: string;
  constructor(address: string, why: string) {
    super(`the address ${address} is refused (${why}); allow it in the webhook plugin's destinations.allow if it is really a receiver`);
    this.address = address;
  }
}

/** Splits `10.0.0.0/8` or `fe80::1` into a BlockList entry; undefined when it is neither. */
export function parseRange(value: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [raw = '', bits] = value.trim().split('/');
  const address = raw.replace(/^\[|\]$/g, '');
  const version = isIP(address);
  if (!version) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function blockListOf(ranges: readonly string[]): BlockList {
  const list = new BlockList();
  for (const r of ranges) {
    const parsed = parseRange(r);
    if (!parsed) throw new Error(`not an address or CIDR range: ${r}`);
    list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return list;
}

/** The 8 groups of an IPv6 address as numbers (`::ffff:1.2.3.4` included). */
function ipv6Groups(address: string): number[] {
  let a = address.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (v4) a = a.slice(0, v4.index) + [((+v4[1]! << 8) | +v4[2]!).toString(16), ((+v4[3]! << 8) | +v4[4]!).toString(16)].join(':');
  const [head = '', tail] = a.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((g) => parseInt(g, 16));
}

const dotted = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/**
 * The IPv4 address an IPv6 address carries, when it is one of the forms that reach an IPv4 host:
 * IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96, RFC 6052) and
 * 6to4 (2002:AABB:CCDD::/48, RFC 3056).
 */
export function embeddedIpv4(address: string): string | undefined {
  const g = ipv6Groups(address);
  if (g.length !== 8 || g.some((x) => Number.isNaN(x))) return undefined;
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && (g[5] === 0xffff || (g[5] === 0 && (g[6]! !== 0 || g[7]! > 1)))) return dotted(g[6]!, g[7]!);
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return dotted(g[6]!, g[7]!);
  if (g[0] === 0x2002) return dotted(g[1]!, g[2]!);
  return undefined;
}

/**
 * The webhook destination policy.
 *
 * @example
 * const policy = new DestinationPolicy({ allow: ['169.254.10.5'] });
 * policy.refusal('169.254.169.254') // 'link-local (cloud metadata at 169.254.169.254)'
 * policy.refusal('192.168.1.20')    // undefined: LAN receivers are allowed
 */
export class DestinationPolicy {
  readonly #allow: BlockList;
  readonly #deny: BlockList;
  readonly #defaults: { list: BlockList; why: string }[];

  constructor(options: DestinationOptions = {}) {
    this.#allow = blockListOf(options.allow ?? []);
    this.#deny = blockListOf(options.deny ?? []);
    this.#defaults = REFUSED_RANGES.map(({ range, why }) => ({ list: blockListOf([range]), why }));
    if (options.loopback === false) this.#defaults.push({ list: blockListOf(LOOPBACK), why: 'loopback (destinations.loopback is false)' });
  }

  /** Why `address` (an IP address) is refused; undefined when a delivery may connect to it. */
  refusal(address: string): string | undefined {
    const a = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
    const version = isIP(a);
    if (!version) return 'not an IP address';
    const inner = version === 6 ? embeddedIpv4(a) : undefined;
    if (inner !== undefined) {
      const why = this.refusal(inner);
      return why === undefined ? undefined : `${why}, embedded in ${a}`;
    }
    const family = version === 4 ? 'ipv4' : 'ipv6';
    if (this.#deny.check(a, family)) return 'in destinations.deny';
    if (this.#allow.check(a, family)) return undefined;
    return this.#defaults.find((d) => d.list.check(a, family))?.why;
  }

  /** Throws DestinationError when `address` is refused. */
  check(address: string): void {
    const why = this.refusal(address);
    if (why !== undefined) throw new DestinationError(address, why);
  }
}

/** A resolver as net.connect takes it (`lookup`), with `all: true` answers. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, order: 'ipv4first' }, (error, addresses) => (error ? reject(error) : resolve(addresses))));

/**
 * A `lookup` for net.connect/tls.connect that resolves with `resolver` and hands on only the
 * addresses the policy allows; when none is left, the connection fails with DestinationError.
 */
export function filteredLookup(policy: DestinationPolicy, resolver: Resolver) {
  return (hostname: string, options: { all?: boolean; family?: number | string }, callback: (...args: any[]) => void): void => {
    resolver(hostname).then(
      (addresses) => {
        const wanted = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
        const candidates = addresses.filter((a) => !wanted || a.family === wanted);
        const allowed = candidates.filter((a) => policy.refusal(a.address) === undefined);
        if (!allowed.length) {
          const first = candidates[0];
          const error = first ? new DestinationError(first.address, policy.refusal(first.address)!) : Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' });
          return callback(error);
        }
        if (options.all) callback(null, allowed);
        else callback(null, allowed[0]!.address, allowed[0]!.family);
      },
      (error: unknown) => callback(error),
    );
  };
}

/**
 * Checks a receiver URL against the policy as far as can be told before connecting: an address
 * literal at once, a name by resolving it (refused when every address it has is refused; a name that
 * does not resolve now is let through: it is checked again at every attempt).
 */
export async function checkDestination(url: URL, policy: DestinationPolicy, resolver: Resolver): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return policy.check(host);
  let addresses: LookupAddress[];
  try {
    addresses = await resolver(host);
  } catch {
    return;
  }
  const refused = addresses.map((a) => ({ address: a.address, why: policy.refusal(a.address) }));
  if (refused.length && refused.every((r) => r.why !== undefined)) throw new DestinationError(refused[0]!.address, refused[0]!.why!);
}
