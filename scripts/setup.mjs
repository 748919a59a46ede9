#!/usr/bin/env node
// Installs the Debian packages the test suite needs, when they are missing.
// `npm test` runs it before the tests, so a fresh machine needs nothing by hand.
// Outside CI a failed install only warns (the tests that need the package then
// fail and say why); under CI=true it is an error.
import { execFileSync, spawnSync } from "node:child_process";

/** Debian package -> a check that it is usable. */
const packages = {
  // A client that is not ours, using only server reflection (test/e2e/reflection.test.ts).
  "python3-grpcio": () => canRun("/usr/bin/python3", ["-c", "import grpc"]),
  "python3-protobuf": () => canRun("/usr/bin/python3", ["-c", "import google.protobuf"]),
};

function canRun(command, args) {
  return spawnSync(command, args, { stdio: "ignore" }).status === 0;
}

const missing = Object.entries(packages)
  .filter(([, usable]) => !usable())
  .map(([name]) => name);

if (missing.length === 0) process.exit(0);

const ci = process.env.CI === "true";
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
  const message = `setup: could not install ${missing.join(" ")}: ${err.message}`;
  if (ci) {
    console.error(message);
    process.exit(1);
  }
  console.warn(`${message}\nsetup: the tests that need them will fail until they are installed.`);
}
