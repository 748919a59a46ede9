import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { HostCheck } from "../../../services/http/console/index.js";
import { startTestBroker, type TestBroker } from "../../helpers/test-broker.js";

/** One HTTP request with the headers given as they are (fetch() would set its own Host). */
function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; body: any; text: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      { host: "127.0.0.1", port, method, path, headers: { ...headers, ...(data ? { "content-type": "application/json", "content-length": data.length } : {}) } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode!, body: parsed, text });
        });
      },
    );
    req.on("error", reject);
    req.end(data);
  });
}

// Issue 14, finding 5: the console answered any Host header, so a page whose own name was
// rebound to the console's address could drive the JSON API as the console's principal.
describe("console Host and Origin checks", () => {
  let t: TestBroker | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("answers its own names and refuses a rebound one with 421 HOST_NOT_ALLOWED, on every console path", async () => {
    t = await startTestBroker({ http: "127.0.0.1:0" });
    const port = t.broker.httpPort!;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`, "127.0.0.1"]) {
      expect((await send(port, "GET", "/console/api/groups", { host })).status, host).toBe(200);
    }
    for (const path of ["/console/api/groups", "/console/api/overview", "/console/", "/console/app.js", "/"]) {
      for (const host of [`attacker.example:${port}`, "attacker.example", `localhost.attacker.example:${port}`]) {
        const answer = await send(port, "GET", path, { host });
        expect(answer.status, `${path} ${host}`).toBe(421);
        expect(answer.body.error).toMatchObject({ code: "PERMISSION_DENIED", reason: "HOST_NOT_ALLOWED" });
      }
    }
    // A rebound name cannot change anything either.
    const create = await send(port, "POST", "/console/api/topics", { host: `attacker.example:${port}` }, { name: "x", partitions: 1 });
    expect([create.status, create.body.error.reason]).toEqual([421, "HOST_NOT_ALLOWED"]);
    await expect(t.admin.describeTopic({ name: "x" })).rejects.toMatchObject({ code: 5 });
  });

  it("refuses a change from another origin with 403 CROSS_ORIGIN, and takes one from its own page or a tool", async () => {
    t = await startTestBroker({ http: "127.0.0.1:0" });
    const port = t.broker.httpPort!;
    const host = `127.0.0.1:${port}`;
    for (const origin of ["http://attacker.example", `http://localhost:${port}`, "null", `http://127.0.0.1:${port + 1}`]) {
      const answer = await send(port, "POST", "/console/api/topics", { host, origin }, { name: "a", partitions: 1 });
      expect([answer.status, answer.body.error.code, answer.body.error.reason], origin).toEqual([403, "PERMISSION_DENIED", "CROSS_ORIGIN"]);
    }
    await expect(t.admin.describeTopic({ name: "a" })).rejects.toMatchObject({ code: 5 });
    expect((await send(port, "POST", "/console/api/topics", { host, origin: `http://${host}` }, { name: "a", partitions: 1 })).status).toBe(201);
    expect((await send(port, "POST", "/console/api/topics", { host }, { name: "b", partitions: 1 })).status).toBe(201); // curl sends no Origin
    // Reads carry no Origin check: the same-origin policy already keeps their answers from other sites.
    expect((await send(port, "GET", "/console/api/topics/a", { host, origin: "http://attacker.example" })).status).toBe(200);
  });

  it("answers the names in consoleAllowedHosts", async () => {
    t = await startTestBroker({ http: "127.0.0.1:0", consoleAllowedHosts: ["Console.Example.com"] });
    const port = t.broker.httpPort!;
    for (const host of ["console.example.com", `CONSOLE.example.com:${port}`, "console.example.com.:443", `localhost:${port}`]) {
      expect((await send(port, "GET", "/console/api/groups", { host })).status, host).toBe(200);
    }
    const origin = "https://console.example.com";
    expect((await send(port, "POST", "/console/api/topics", { host: "console.example.com", origin }, { name: "c", partitions: 1 })).status).toBe(201);
    expect((await send(port, "GET", "/console/api/groups", { host: "other.example.com" })).status).toBe(421);
  });

  it("keeps /metrics, /healthz and /readyz answering any Host, for scrapers and probes that use their own names", async () => {
    t = await startTestBroker({ http: "127.0.0.1:0" });
    const port = t.broker.httpPort!;
    for (const path of ["/metrics", "/healthz", "/readyz"]) {
      expect((await send(port, "GET", path, { host: "prometheus-target.internal:9999" })).status, path).toBe(200);
    }
  });

  it("on a wildcard address takes IP literals and localhost, and no other name unless configured", () => {
    const check = new HostCheck("0.0.0.0");
    for (const host of ["10.1.2.3:7071", "[fe80::1]:7071", "localhost:7071", "app.localhost"]) expect(check.hostAllowed(host), host).toBe(true);
    for (const host of ["broker.lan:7071", "10.1.2.3.attacker.example", "a b", "[zz]:1", "x@y"]) expect(check.hostAllowed(host), host).toBe(false);
    // Listening on one non-loopback address, localhost does not reach the console at all.
    expect(new HostCheck("10.0.0.5").hostAllowed("localhost:7071")).toBe(false);
    expect(new HostCheck("broker1.internal").hostAllowed("BROKER1.internal:7071")).toBe(true);
  });
});
