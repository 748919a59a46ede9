import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join } from "node:path";
import type { Logger } from "pino";
import type { ClientOptions } from "../../../clients/ts/index.js";
import { ConsoleApi } from "./console-api.js";
import { HostCheck } from "./host-check.js";
import { packagePath } from "../../package-root.js";
import { ConsoleRequestError, toHttpError } from "./http-error.js";

/** Where the prebuilt front end lives (built from ./ui by `npm run build:console`); from the
 * package root, so the compiled broker in dist/ serves the same committed files. */
export const consoleAssetsDir = packagePath("services/http/console/assets/");
/** The console's URL prefix on the HTTP port; `/` redirects here. */
export const consolePrefix = "/console/";
/** Largest JSON body the API reads. */
const maxBodyBytes = 1024 * 1024;

const contentTypes: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};

export interface ConsoleHandlerOptions {
  /** The broker's own gRPC address, HOST:PORT: every API call goes through it. */
  readonly address: string;
  /** The console principal's TLS credentials and token (consoleCredentials()); default plaintext, none. */
  readonly client?: ClientOptions;
  /** Whether `client` carries a token or client certificate. Default false. */
  readonly credentialed?: boolean;
  /** The HTTP port's listen host: which Host headers the console answers (host-check.ts).
   * Default 127.0.0.1. */
  readonly listenHost?: string;
  /** More host names the console answers (consoleAllowedHosts). Default none. */
  readonly allowedHosts?: readonly string[];
  readonly logger: Logger;
}

export interface ConsoleHandler {
  /** True for the paths the console answers: `/` and everything under /console/. */
  handles(path: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Calls the broker once; throws CONSOLE_UNREACHABLE when the console cannot connect (ConsoleApi.probe). */
  probe(): Promise<void>;
  /** Closes the console's gRPC clients. */
  close(): void;
}

/** Added to a 401's message: the refused credentials are the console's, fixed in the broker's config. */
const unauthenticatedHint =
  "the broker refused the web console's own credentials; give it a principal with consoleTokenFile or, under mutual TLS, consoleTlsCert (docs/console.md)";

/**
 * The web console on the broker's HTTP port: static assets under /console/
 * and a JSON API under /console/api/ that calls the broker's gRPC services.
 */
export function createConsoleHandler(options: ConsoleHandlerOptions): ConsoleHandler {
  const log = options.logger.child({ component: "console" });
  let api: ConsoleApi | undefined;
  const connect = (): ConsoleApi => (api ??= new ConsoleApi(options.address, options.client));
  const hosts = new HostCheck(options.listenHost ?? "127.0.0.1", options.allowedHosts);

  /** The DNS-rebinding and cross-origin checks (host-check.ts); null when the request may go on. */
  function refusal(req: IncomingMessage, api: boolean): ConsoleRequestError | null {
    const host = req.headers.host;
    if (!hosts.hostAllowed(host)) {
      return new ConsoleRequestError(
        "HOST_NOT_ALLOWED",
        `the console does not answer for host ${JSON.stringify(host)}; add its name to consoleAllowedHosts (docs/console.md)`,
        { status: 421 },
      );
    }
    const method = req.method ?? "GET";
    if (api && method !== "GET" && method !== "HEAD" && !hosts.originAllowed(req.headers.origin, host)) {
      return new ConsoleRequestError("CROSS_ORIGIN", "the console's API takes changes only from the console's own pages", { status: 403 });
    }
    return null;
  }

  async function serveApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    try {
      const method = req.method ?? "GET";
      const mutating = method !== "GET" && method !== "HEAD";
      // A JSON content type forces a CORS preflight, so another site's page cannot post here.
      if (mutating && !(req.headers["content-type"] ?? "").startsWith("application/json")) {
        throw new ConsoleRequestError("JSON_REQUIRED", "send a JSON body with content-type application/json", { status: 415 });
      }
      const body = mutating ? await readJson(req) : undefined;
      const segments = url.pathname.slice(`${consolePrefix}api/`.length).split("/").filter((s) => s !== "").map(decodeURIComponent);
      const answer = await connect().handle({ method, segments, query: url.searchParams, body });
      sendJson(res, answer.status, answer.body);
    } catch (err) {
      const mapped = toHttpError(err);
      if (mapped.internal) log.error({ err, path: url.pathname }, "console API call failed");
      const body =
        mapped.status === 401
          ? { error: { ...mapped.body.error, message: `${unauthenticatedHint}: ${mapped.body.error.message}` } }
          : mapped.body;
      sendJson(res, mapped.status, body);
    }
  }

  async function serveAsset(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const name = path === consolePrefix ? "index.html" : path.slice(consolePrefix.length);
    const type = contentTypes[extname(name)];
    // Only flat names of known types: no traversal, nothing but the built files.
    if (!/^[a-z0-9][a-z0-9.-]*$/i.test(name) || type === undefined) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    try {
      const data = await readFile(join(consoleAssetsDir, name));
      res.writeHead(200, { "content-type": type, "content-length": data.length, "cache-control": "no-cache", "x-content-type-options": "nosniff" });
      res.end(req.method === "HEAD" ? undefined : data);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    }
  }

  return {
    handles: (path) => path === "/" || path === "/console" || path.startsWith(consolePrefix),
    handle(req, res) {
      const url = new URL(req.url ?? "/", "http://console.invalid");
      const refused = refusal(req, url.pathname.startsWith(`${consolePrefix}api/`));
      if (refused !== null) {
        log.debug({ request: { host: req.headers.host, origin: req.headers.origin }, reason: refused.reason }, "console request refused");
        sendJson(res, refused.status, toHttpError(refused).body);
        return;
      }
      if (url.pathname === "/" || url.pathname === "/console") {
        res.writeHead(302, { location: consolePrefix }).end();
      } else if (url.pathname.startsWith(`${consolePrefix}api/`)) {
        void serveApi(req, res, url);
      } else {
        void serveAsset(req, res, url.pathname);
      }
    },
    async probe() {
      try {
        const authenticated = await connect().probe(options.credentialed ?? false);
        if (!authenticated) {
          log.warn({}, "authentication is on but the web console has no credentials: its API answers 401 (docs/console.md)");
        }
      } catch (err) {
        api?.close();
        api = undefined;
        throw err;
      }
    },
    close() {
      api?.close();
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": data.length, "cache-control": "no-store" });
  res.end(data);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw new ConsoleRequestError("BODY_TOO_LARGE", `the body is over ${maxBodyBytes} bytes`, { status: 413 });
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text === "") return {};
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ConsoleRequestError("INVALID_JSON", "the body is not valid JSON", { cause });
  }
}
