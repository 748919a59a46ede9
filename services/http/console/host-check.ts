import { isIP } from "node:net";

/**
 * Which `Host` and `Origin` headers the console answers, against DNS rebinding
 * (issue 14): a page on attacker.example can make its own name resolve to the
 * console's address, and the browser then treats the console's JSON API as
 * same-origin with that page and drives it as the console's principal. What
 * such a request cannot change is the `Host` header: it names the attacker's
 * host. So the console answers only names it knows to be its own:
 *
 * - an IP literal (`127.0.0.1:7071`, `[::1]:7071`, `10.0.0.5:7071`): nobody can
 *   rebind an address, and a browser that sends one was pointed at it;
 * - `localhost` (and names under `.localhost`), which browsers resolve to loopback
 *   themselves, when the HTTP port listens on loopback or on every address;
 * - the HTTP listen host itself when it is a name;
 * - the names in `consoleAllowedHosts` (a reverse proxy's, a DNS name of the broker).
 *
 * Names compare case-insensitively, without the port: the port does not tell a
 * rebound name from a real one, and a proxy may forward its own.
 *
 * A request that changes something must, when it carries an `Origin` (browsers
 * send one with every POST, PATCH and DELETE), come from the console's own origin:
 * the origin's host:port equals the `Host` header. Tools that send no `Origin`
 * (curl, scripts) are not browsers and are not refused.
 */
export class HostCheck {
  private readonly names: ReadonlySet<string>;
  private readonly localhost: boolean;

  /**
   * @param listenHost the HTTP port's listen host (`127.0.0.1`, `::`, `broker1.internal`)
   * @param allowedHosts consoleAllowedHosts
   */
  constructor(listenHost: string, allowedHosts: readonly string[] = []) {
    const names = new Set(allowedHosts.map((h) => h.toLowerCase()));
    if (isIP(listenHost) === 0) names.add(listenHost.toLowerCase());
    this.names = names;
    this.localhost = isLoopback(listenHost) || listenHost === "0.0.0.0" || listenHost === "::" || listenHost.toLowerCase() === "localhost";
  }

  /** Whether a request with this `Host` header may be answered. A request without one
   * is not from a browser (they always send it) and cannot be rebound. */
  hostAllowed(hostHeader: string | undefined): boolean {
    if (hostHeader === undefined || hostHeader === "") return true;
    const name = hostName(hostHeader);
    if (name === undefined) return false;
    if (isIP(name) !== 0) return true;
    if (this.localhost && (name === "localhost" || name.endsWith(".localhost"))) return true;
    return this.names.has(name);
  }

  /** Whether a mutating request with this `Origin` comes from the console's own page. */
  originAllowed(origin: string | undefined, hostHeader: string | undefined): boolean {
    if (origin === undefined) return true;
    if (hostHeader === undefined) return false;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // "null" (a sandboxed frame, a file: page) or garbage
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return false;
    return url.host.toLowerCase() === hostHeader.toLowerCase();
  }
}

/** The name part of a Host header, lower case, brackets off an IPv6 literal; undefined
 * when it is not a plausible host[:port]. */
function hostName(hostHeader: string): string | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s/@]+))(?::\d{1,5})?$/.exec(hostHeader.trim());
  if (match === null) return undefined;
  return (match[1] ?? match[2]).toLowerCase().replace(/\.$/, ""); // "example.com." is "example.com"
}

function isLoopback(host: string): boolean {
  return host === "::1" || /^127\./.test(host);
}

/**
 * Validates consoleAllowedHosts: a list of host names (no scheme, port or path),
 * e.g. `["console.example.com"]`.
 */
export function validateAllowedHosts(value: unknown, where: string): readonly string[] {
  if (!Array.isArray(value)) throw new Error(`${where} must be a list of host names`);
  return Object.freeze(
    value.map((entry: unknown, i) => {
      if (typeof entry !== "string" || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i.test(entry)) {
        throw new Error(`${where}[${i}] must be a host name such as "console.example.com" (no scheme, port or path)`);
      }
      return entry.toLowerCase().replace(/\.$/, "");
    }),
  );
}
