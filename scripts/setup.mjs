#!/usr/bin/env node
// Installs the Debian packages the test suite needs, when they are missing.
// `npm test` runs it before the tests, so a fresh machine needs nothing by hand.
// Outside CI a failed install only warns (the tests that need the package then
// fail and say why); under CI=true it is an error.
import { execFileSync, spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { fileURLToPath } from "node:url";

const gocode = "/usr/share/gocode/src";
const javaLibs = "/usr/share/java";

/** Debian package -> a check that it is usable. */
const packages = {
  // A client that is not ours, using only server reflection (test/e2e/reflection.test.ts),
  // and the Python example over gen/python (test/e2e/clients-python.test.ts).
  "python3-grpcio": () => canRun("/usr/bin/python3", ["-c", "import grpc"]),
  "python3-protobuf": () => canRun("/usr/bin/python3", ["-c", "import google.protobuf"]),
  // protoc and the gRPC plugins behind buf.gen.clients.yaml (test/gen/generated-code.test.ts).
  "protobuf-compiler": () => canRun("/usr/bin/protoc", ["--version"]),
  "protobuf-compiler-grpc": () => isExecutable("/usr/bin/grpc_python_plugin"),
  "protoc-gen-go": () => canRun("/usr/bin/protoc-gen-go", ["--version"]),
  "protoc-gen-go-grpc": () => canRun("/usr/bin/protoc-gen-go-grpc", ["--version"]),
  "protobuf-compiler-grpc-java-plugin": () => isExecutable("/usr/bin/grpc_java_plugin"),
  // The Go example, built in GOPATH mode against /usr/share/gocode (test/e2e/clients-go.test.ts).
  "golang-go": () => canRun("/usr/bin/go", ["version"]),
  "golang-google-grpc-dev": () => exists(`${gocode}/google.golang.org/grpc/server.go`),
  "golang-google-protobuf-dev": () => exists(`${gocode}/google.golang.org/protobuf/proto/encode.go`),
  "golang-github-golang-protobuf-1-5-dev": () => exists(`${gocode}/github.com/golang/protobuf/proto/buffer.go`),
  // The Java example, compiled with javac against the jars in /usr/share/java
  // (test/e2e/clients-java.test.ts). libgrpc-java depends on none of the jars grpc-java
  // needs besides its own (netty, perfmark, gson, guava, geronimo's javax.annotation).
  "openjdk-17-jdk-headless": () => canRun("/usr/bin/javac", ["-version"]),
  "libgrpc-java": () =>
    hasJars("grpc-api", "grpc-core", "grpc-context", "grpc-netty", "grpc-protobuf", "grpc-protobuf-lite", "grpc-stub"),
  "libprotobuf-java": () => hasJars("protobuf"),
  "libnetty-java": () =>
    hasJars("netty-buffer", "netty-codec", "netty-codec-http", "netty-codec-http2", "netty-common", "netty-handler", "netty-resolver", "netty-transport"),
  "libperfmark-java": () => hasJars("perfmark-api"),
  "libgoogle-gson-java": () => hasJars("gson"),
  "libguava-java": () => hasJars("guava"),
  "liberror-prone-java": () => hasJars("error_prone_annotations"),
  "libjsr305-java": () => hasJars("jsr305"),
  "libgeronimo-annotation-1.3-spec-java": () => hasJars("geronimo-annotation-1.3-spec"),
  // Headless Chromium for the web console's browser tests, driven by playwright-core
  // (test/http/console/console.test.ts); Playwright's own browser download does not work here.
  chromium: () => canRun("/usr/bin/chromium", ["--version"]),
  // etcd 3.4 for cluster mode: its tests start members as child processes
  // (services/cluster/etcd/etcd-process.ts), and etcdctl to look at what brokers stored.
  "etcd-server": () => canRun("/usr/bin/etcd", ["--version"]),
  "etcd-client": () => canRun("/usr/bin/etcdctl", ["version"]),
  // Certificates generated at test time for TLS and mutual TLS (test/auth/).
  openssl: () => canRun("/usr/bin/openssl", ["version"]),
  // The FUSE file system that drops unsynced writes, under the power-loss tests
  // (test/helpers/lazyfs/lazyfs.py, test/reliability/power-loss.test.ts).
  fuse: () => canRun("/usr/bin/fusermount", ["-V"]),
  "python3-fusepy": () => canRun("/usr/bin/python3", ["-c", "import fusepy"]),
};

function canRun(command, args) {
  return spawnSync(command, args, { stdio: "ignore" }).status === 0;
}

function exists(path, mode = constants.R_OK) {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

function isExecutable(path) {
  return exists(path, constants.X_OK);
}

function hasJars(...names) {
  return names.every((name) => exists(`${javaLibs}/${name}.jar`));
}

const missing = Object.entries(packages)
  .filter(([, usable]) => !usable())
  .map(([name]) => name);

const ci = process.env.CI === "true";
if (missing.length > 0) installPackages(missing);
buildGrpcurl();

function installPackages(missing) {
  console.log(`setup: installing Debian packages: ${missing.join(" ")}`);
  try {
    const sudo = process.getuid?.() === 0 ? [] : ["sudo", "-n"];
    const run = (args) =>
      execFileSync(sudo[0] ?? args[0], [...sudo.slice(1), ...(sudo.length ? args : args.slice(1))], {
        stdio: ["ignore", "inherit", "inherit"],
        env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      });
    run(["apt-get", "update", "-qq"]);
    run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", ...missing]);
  } catch (err) {
    fail(`setup: could not install ${missing.join(" ")}: ${err.message}`);
  }
}

/**
 * The real grpcurl (v1.8.5), which no registry has, built offline from the sources kept
 * in ../shared/tools/grpcurl (about 15 s, once; it installs the Debian Go libraries it
 * needs). test/e2e/readme-grpcurl.test.ts runs the README's grpcurl commands with it.
 * It goes under node_modules/, which git ignores.
 */
function buildGrpcurl() {
  const out = fileURLToPath(new URL("../node_modules/.cache/tributary", import.meta.url));
  if (isExecutable(`${out}/grpcurl`)) return;
  const script = fileURLToPath(new URL("../../shared/tools/grpcurl/build.sh", import.meta.url));
  try {
    execFileSync("bash", [script, out], { stdio: ["ignore", "inherit", "inherit"] });
  } catch (err) {
    fail(`setup: could not build grpcurl with ${script}: ${err.message}`);
  }
}

/** Under CI a missing tool is an error; elsewhere the tests that need it fail and say why. */
function fail(message) {
  if (ci) {
    console.error(message);
    process.exit(1);
  }
  console.warn(`${message}\nsetup: the tests that need it will fail until it is there.`);
}
