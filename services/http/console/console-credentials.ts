import { readFileSync } from "node:fs";
import type { ClientOptions } from "../../../clients/ts/index.js";
import { hashToken, readTlsFile } from "../../auth/index.js";
import type { BrokerConfig } from "../../config.js";
import { InvalidConfigError, TributaryError } from "../../errors.js";

/** What the console's gRPC clients connect with, and whether that names a principal. */
export interface ConsoleCredentials {
  /** Options for the console's clients/ts clients: TLS credentials, bearer token, server name. */
  readonly client: ClientOptions;
  /** True when the console presents a token or a client certificate of its own. */
  readonly credentialed: boolean;
}

type ConsoleConfig = Pick<
  BrokerConfig,
  | "tlsCert"
  | "tlsClientCa"
  | "authTokens"
  | "consoleTokenFile"
  | "consoleTlsCa"
  | "consoleTlsServerName"
  | "consoleTlsCert"
  | "consoleTlsKey"
>;

/**
 * The console calls the broker's own gRPC port like any client (issue #7: one
 * code path, the broker's ACLs), so it needs what any client needs there: TLS
 * when the port speaks TLS, a client certificate under mutual TLS, and the
 * token of its principal when tokens are used. Reads the files now, so that a
 * console that could never connect fails the broker's start, not every page.
 * Only for a broker whose HTTP port is on.
 */
export function consoleCredentials(config: ConsoleConfig): ConsoleCredentials {
  const token = config.consoleTokenFile === undefined ? undefined : readToken(config.consoleTokenFile, config.authTokens);
  if (config.tlsCert === undefined) return { client: token === undefined ? {} : { token }, credentialed: token !== undefined };
  if (config.consoleTlsCa === undefined) {
    throw invalid(
      "tlsCert is set, so the gRPC port speaks only TLS and so must the web console on the HTTP port: " +
        "set consoleTlsCa to the CA bundle that signed tlsCert, or set http to off",
    );
  }
  if (config.tlsClientCa !== undefined && config.consoleTlsCert === undefined) {
    throw invalid(
      "tlsClientCa is set, so every client of the gRPC port, the web console included, must present a certificate: " +
        "set consoleTlsCert and consoleTlsKey (signed by tlsClientCa; its CN is the console's principal), or set http to off",
    );
  }
  const tls = {
    ca: readTlsFile("consoleTlsCa", config.consoleTlsCa),
    ...(config.consoleTlsCert === undefined || config.consoleTlsKey === undefined
      ? {}
      : { cert: readTlsFile("consoleTlsCert", config.consoleTlsCert), key: readTlsFile("consoleTlsKey", config.consoleTlsKey) }),
    ...(config.consoleTlsServerName === undefined ? {} : { serverName: config.consoleTlsServerName }),
  };
  return {
    client: { tls, ...(token === undefined ? {} : { token }) },
    credentialed: token !== undefined || tls.cert !== undefined,
  };
}

/** The token text (surrounding whitespace dropped: files end with a newline), checked against authTokens. */
function readToken(path: string, authTokens: ConsoleConfig["authTokens"]): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (cause) {
    throw new TributaryError("precondition", "CONSOLE_TOKEN_UNREADABLE", `consoleTokenFile ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  // The broker reads "Bearer <token>" with one run of non-space characters.
  if (!/^\S+$/.test(text)) throw invalid(`consoleTokenFile ${path} must hold one token (no spaces), as tributary auth hash-token prints it`);
  // Checked here rather than answered 401 on every page: a token that matches
  // no entry is a typo in the config, never a working setup.
  if (!authTokens.some((t) => t.sha256 === hashToken(text))) {
    throw invalid(`the token in consoleTokenFile ${path} matches no authTokens entry: add its sha256 there with the console's principal`);
  }
  return text;
}


const invalid = (message: string) => new InvalidConfigError(message);
