import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface HttpEndpoints {
  /** True once storage is open and gRPC is listening. */
  readonly ready: () => boolean;
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
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
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
