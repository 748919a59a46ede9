import { describe, expect, it } from "vitest";
import { authEnabled, configFromEnv, defaultConfig, envName, flagName, parseHostPort, resolveConfig } from "../services/config.js";

describe("resolveConfig", () => {
  it("fills defaults and lets later sources win", () => {
    const config = resolveConfig(
      { source: "file", values: { segmentBytes: 4096, dataDir: "/a" } },
      { source: "env", values: { dataDir: "/b" } },
      { source: "flags", values: { dataDir: "/c", segmentBytes: undefined } },
    );
    expect(config.dataDir).toBe("/c");
    expect(config.segmentBytes).toBe(4096);
    expect(config.listen).toBe(defaultConfig.listen);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("rejects unknown keys and bad values with INVALID_CONFIG", () => {
    expect(() => resolveConfig({ source: "file", values: { segmentByte: 1 } })).toThrowError(/unknown config key "segmentByte"/);
    expect(() => resolveConfig({ source: "flags", values: { segmentBytes: "12abc" } })).toThrowError(/segmentBytes must be an integer/);
    expect(() => resolveConfig({ source: "flags", values: { fsyncPolicy: "sometimes" } })).toThrowError(/fsyncPolicy must be one of/);
    expect(() => resolveConfig({ source: "flags", values: { listen: "nohost" } })).toThrowError(/listen expected HOST:PORT/);
  });

  it("reads TRIBUTARY_* variables and rejects unknown ones", () => {
    expect(configFromEnv({ TRIBUTARY_DATA_DIR: "/x", PATH: "/bin" })).toEqual({ dataDir: "/x" });
    expect(() => configFromEnv({ TRIBUTARY_DATADIR: "/x" })).toThrowError(/unknown variable TRIBUTARY_DATADIR/);
  });

  it("names flags and variables after the keys", () => {
    expect(flagName("maxPartitionsPerTopic")).toBe("max-partitions-per-topic");
    expect(envName("maxPartitionsPerTopic")).toBe("TRIBUTARY_MAX_PARTITIONS_PER_TOPIC");
  });

  it("takes etcd endpoints as a comma list (flag, variable) or a JSON list (file)", () => {
    expect(resolveConfig({ source: "flags", values: { etcdEndpoints: "http://127.0.0.1:2379, http://127.0.0.1:2381/" } }).etcdEndpoints).toEqual([
      "http://127.0.0.1:2379",
      "http://127.0.0.1:2381",
    ]);
    expect(resolveConfig({ source: "file", values: { etcdEndpoints: ["http://a:2379"] } }).etcdEndpoints).toEqual(["http://a:2379"]);
    expect(() => resolveConfig({ source: "flags", values: { etcdEndpoints: "a:2379" } })).toThrow(/etcd client URLs/);
    expect(defaultConfig.brokerSessionTimeoutMs).toBe(3000);
    expect(defaultConfig.replicaLagTimeMaxMs).toBe(10_000);
    expect(defaultConfig.defaultReplicationFactor).toBe(3);
    expect(defaultConfig.offsetsTopicReplicationFactor).toBe(3);
  });

  it("needs an inter-broker identity for TLS or authentication in cluster mode", () => {
    const etcd = { etcdEndpoints: ["http://a:2379"] };
    const tokens = { authTokens: [{ principal: "p", sha256: "0".repeat(64) }] };
    const resolve = (values: Record<string, unknown>) => resolveConfig({ source: "file", values });
    expect(() => resolve({ ...etcd, ...tokens })).toThrow(/needs interBrokerPrincipal/);
    expect(() => resolve({ ...etcd, ...tokens, interBrokerPrincipal: "broker" })).toThrow(/needs interBrokerTokenFile/);
    const ok = resolve({ ...etcd, ...tokens, interBrokerPrincipal: "broker", interBrokerTokenFile: "/t" });
    expect(authEnabled(ok)).toBe(true);
    // The principal alone switches authentication on: the tokens may all be in etcd.
    expect(authEnabled(resolve({ ...etcd, interBrokerPrincipal: "broker", interBrokerTokenFile: "/t" }))).toBe(true);
    expect(() => resolve({ ...etcd, tlsCert: "c", tlsKey: "k" })).toThrow(/needs interBrokerTlsCa/);
    expect(resolve({ ...etcd, tlsCert: "c", tlsKey: "k", interBrokerTlsCa: "ca" }).interBrokerTlsCa).toBe("ca");
    expect(resolve({ ...etcd, tlsCert: "c", tlsKey: "k", tlsClientCa: "ca", interBrokerPrincipal: "broker" }).interBrokerTokenFile).toBeUndefined();
    expect(() => resolve({ interBrokerPrincipal: "broker" })).toThrow(/only in cluster mode/);
    expect(() => resolve({ ...etcd, interBrokerTlsCa: "ca" })).toThrow(/needs tlsCert/);
  });

  it("parses host:port including IPv6", () => {
    expect(parseHostPort("127.0.0.1:0")).toEqual({ host: "127.0.0.1", port: 0 });
    expect(parseHostPort("[::1]:7070")).toEqual({ host: "::1", port: 7070 });
    expect(parseHostPort("localhost:99999")).toBeUndefined();
  });
});
