/**
 * The one way a broker builds clients to other brokers (replication, a coordinator's
 * reads from partition leaders): every such call runs as the inter-broker principal,
 * over TLS when the broker serves TLS (CLUSTER.md section 5; docs/security.md,
 * "Identity in a cluster").
 *
 * - Identity: the token in `interBrokerTokenFile` (the same on every broker) as a bearer
 *   token; or, under mutual TLS without a token file, the broker's own certificate
 *   (`tlsCert`/`tlsKey`), whose CN must be `interBrokerPrincipal`.
 * - TLS: when `tlsCert` is set, peers are verified against `interBrokerTlsCa`, else
 *   `tlsClientCa`; a broker's certificate must name the host in its advertised address.
 *
 * Files are read once, when the broker starts: an unreadable one fails the start.
 */
import { readFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { hashToken, readTlsFile } from "../auth/index.js";
import type { BrokerConfig } from "../config.js";
import { InvalidConfigError, TributaryError } from "../errors.js";
import { RpcClient, type RpcClientOptions } from "../rpc/index.js";

/** What every inter-broker client of one broker is built with. */
export interface InterBrokerCredentials extends RpcClientOptions {
  /** SHA-256 of `token`: the Authorizer accepts it as the inter-broker principal. */
  readonly tokenSha256?: string;
}

/** Plaintext without credentials: a cluster without TLS or authentication. */
export const plaintextInterBroker: InterBrokerCredentials = Object.freeze({});

/** The inter-broker credentials the config describes (see the file comment).
 * @throws TributaryError INTER_BROKER_TOKEN_UNREADABLE, TLS_FILE_UNREADABLE; InvalidConfigError */
export function interBrokerCredentials(config: BrokerConfig): InterBrokerCredentials {
  if (config.etcdEndpoints.length === 0) return plaintextInterBroker;
  const token = config.interBrokerTokenFile === undefined ? undefined : readToken(config.interBrokerTokenFile);
  let tls: RpcClientOptions["tls"];
  if (config.tlsCert !== undefined && config.tlsKey !== undefined) {
    const caKey = config.interBrokerTlsCa !== undefined ? "interBrokerTlsCa" : "tlsClientCa";
    const ca = readTlsFile(caKey, (config.interBrokerTlsCa ?? config.tlsClientCa)!);
    if (config.tlsClientCa !== undefined && token === undefined) {
      // Mutual TLS without a token: the broker's own certificate is its client certificate.
      const cert = readTlsFile("tlsCert", config.tlsCert);
      const cn = commonName(cert);
      if (cn !== config.interBrokerPrincipal) {
        throw new InvalidConfigError(
          `the broker's tlsCert (CN ${JSON.stringify(cn)}) is its inter-broker identity under mutual TLS without interBrokerTokenFile: its CN must be interBrokerPrincipal (${JSON.stringify(config.interBrokerPrincipal)})`,
        );
      }
      tls = { ca, cert, key: readTlsFile("tlsKey", config.tlsKey) };
    } else {
      tls = { ca };
    }
  }
  return Object.freeze({
    ...(tls !== undefined ? { tls } : {}),
    ...(token !== undefined ? { token, tokenSha256: hashToken(token) } : {}),
  });
}

/** A client to the broker at `address`, with this broker's inter-broker credentials. */
export function interBrokerClient(address: string, credentials: InterBrokerCredentials = plaintextInterBroker): RpcClient {
  return new RpcClient(address, credentials);
}

/** The token text (surrounding whitespace dropped: files end with a newline). */
function readToken(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (cause) {
    throw new TributaryError("precondition", "INTER_BROKER_TOKEN_UNREADABLE", `interBrokerTokenFile ${path}: ${(cause as Error).message}`, { cause });
  }
  if (text === "") throw new TributaryError("precondition", "INTER_BROKER_TOKEN_UNREADABLE", `interBrokerTokenFile ${path} is empty`);
  return text;
}

/** The subject CN of the first certificate of a PEM chain. */
function commonName(pem: Buffer): string | undefined {
  try {
    const subject = new X509Certificate(pem).subject;
    return /^CN=(.*)$/m.exec(subject)?.[1];
  } catch {
    return undefined;
  }
}
