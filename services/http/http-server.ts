import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface HttpEndpoints {
  /** True once storage is open and gRPC is listening. */
  readonly ready: () => boolean;
  /** Prometheus exposition for `/metrics` (a prom-client Registry fits). */
  readonly metrics?: { readonly contentType: string; metrics(): Promise<string> };
  /** The web console (services/http/console): answers `/` and `/console/...`, every method. */
  readonly console?: { handles(path: string): boolean; handle(req: IncomingMessage, res: ServerResponse): void };
}

/**
 * The broker's HTTP port: `/healthz` (the process answers) and `/readyz`
 * (storage opened, gRPC listening). Metrics and the console come later on the
 * same port.
 */
export async function startHttpServer(
  host: string,
  port: number,
  endpoints: HttpEndpoints,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (endpoints.console?.handles(path)) return endpoints.console.handle(req, res);
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else if (path === "/metrics" && endpoints.metrics) {
      const { contentType } = endpoints.metrics;
      endpoints.metrics.metrics().then(
        (text) => res.writeHead(200, { "content-type": contentType }).end(text),
        () => res.writeHead(500, { "content-type": "text/plain" }).end("metrics failed\n"),
      );
    } else if (path === "/readyz") {
      const ready = endpoints.ready();
      res.writeHead(ready ? 200 : 503, { "content-type": "text/plain" }).end(ready ? "ready\n" : "not ready\n");
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}
