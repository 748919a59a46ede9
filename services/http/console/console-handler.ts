import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { ConsoleApi } from "./console-api.js";
import { ConsoleRequestError, toHttpError } from "./http-error.js";

/** Where the prebuilt front end lives (built from ./ui by `npm run build:console`). */
export const consoleAssetsDir = fileURLToPath(new URL("./assets/", import.meta.url));
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
  readonly logger: Logger;
}

export interface ConsoleHandler {
  /** True for the paths the console answers: `/` and everything under /console/. */
  handles(path: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Closes the console's gRPC clients. */
  close(): void;
}

/**
 * The web console on the broker's HTTP port: static assets under /console/
 * and a JSON API under /console/api/ that calls the broker's gRPC services.
 */
export function createConsoleHandler(options: ConsoleHandlerOptions): ConsoleHandler {
  const log = options.logger.child({ component: "console" });
  let api: ConsoleApi | undefined;

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
      api ??= new ConsoleApi(options.address);
      const answer = await api.handle({ method, segments, query: url.searchParams, body });
      sendJson(res, answer.status, answer.body);
    } catch (err) {
      const mapped = toHttpError(err);
      if (mapped.internal) log.error({ err, path: url.pathname }, "console API call failed");
      sendJson(res, mapped.status, mapped.body);
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
      if (url.pathname === "/" || url.pathname === "/console") {
        res.writeHead(302, { location: consolePrefix }).end();
      } else if (url.pathname.startsWith(`${consolePrefix}api/`)) {
        void serveApi(req, res, url);
      } else {
        void serveAsset(req, res, url.pathname);
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
