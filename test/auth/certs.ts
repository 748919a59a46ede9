import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** PEM files (paths and contents) made by openssl at test time. */
export interface TestPki {
  readonly dir: string;
  /** CA that signs the server's and the good clients' certificates. */
  readonly caPem: Buffer;
  readonly caPath: string;
  readonly serverCertPath: string;
  readonly serverKeyPath: string;
  /** Client certificate + key signed by the CA, with subject CN as named. */
  client(cn: string): { cert: Buffer; key: Buffer };
  /** A broker's certificate, signed by the CA, usable as server and client (mutual TLS
   * between brokers): subject CN as named, subjectAltName localhost and 127.0.0.1. Paths. */
  broker(cn: string): { certPath: string; keyPath: string };
  /** A client certificate signed by a different CA. */
  readonly stranger: { cert: Buffer; key: Buffer };
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  // Fails loudly when openssl is missing: scripts/setup.mjs installs it.
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function makeCa(dir: string, name: string): void {
  openssl(dir, ["req", "-x509", ...ec, "-keyout", `${name}.key`, "-out", `${name}.pem`, "-days", "2", "-subj", `/CN=${name}`]);
}

function signed(dir: string, ca: string, name: string, cn: string, ext: string): { cert: Buffer; key: Buffer } {
  openssl(dir, ["req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`]);
  writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
  openssl(dir, [
    "x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-CAcreateserial",
    "-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.ext`,
  ]);
  return { cert: readFileSync(join(dir, `${name}.pem`)), key: readFileSync(join(dir, `${name}.key`)) };
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "tributary-pki-"));
  makeCa(dir, "ca");
  makeCa(dir, "other-ca");
  signed(dir, "ca", "server", "localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth");
  const clientExt = "extendedKeyUsage=clientAuth";
  const clients = new Map<string, { cert: Buffer; key: Buffer }>();
  return {
    dir,
    caPem: readFileSync(join(dir, "ca.pem")),
    caPath: join(dir, "ca.pem"),
    serverCertPath: join(dir, "server.pem"),
    serverKeyPath: join(dir, "server.key"),
    client(cn) {
      let pair = clients.get(cn);
      if (!pair) {
        pair = signed(dir, "ca", `client-${clients.size}`, cn, clientExt);
        clients.set(cn, pair);
      }
      return pair;
    },
    broker(cn) {
      const name = `broker-${cn.replace(/[^a-zA-Z0-9]/g, "_")}`;
      signed(dir, "ca", name, cn, "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth");
      return { certPath: join(dir, `${name}.pem`), keyPath: join(dir, `${name}.key`) };
    },
    stranger: signed(dir, "other-ca", "stranger", "alice", clientExt),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
