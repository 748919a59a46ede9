/**
 * The Authorizer's cluster-mode duties (issue 17): rules swapped in place while the
 * broker runs, the inter-broker principal's identity fixed by the broker's own config,
 * and only that principal asserting another one on a forwarded request.
 */
import { describe, expect, it } from "vitest";
import { Authorizer, aclKey, assertedPrincipalHeader, hashToken, PermissionDeniedError, UnauthenticatedError } from "../../services/auth/index.js";

/** A call's metadata, as much of it as the Authorizer reads. */
function call(headers: Record<string, string>) {
  const metadata = { get: (key: string) => (headers[key] === undefined ? [] : [headers[key]!]) };
  return { metadata };
}
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const replicate = "tributary.cluster.v1.ReplicaService/Replicate";
const describeCluster = "tributary.v1.AdminService/DescribeCluster";

function authorizer() {
  return new Authorizer({
    authTokens: [{ principal: "ops", sha256: hashToken("ops-token") }],
    acls: [],
    mutualTls: false,
    interBrokerPrincipal: "broker",
    interBrokerTokenSha256: hashToken("broker-token"),
  });
}

describe("Authorizer rules in a cluster", () => {
  it("swaps tokens and ACLs in place: the next call is judged by the new rules", () => {
    const auth = authorizer();
    expect(auth.authenticate(call(bearer("ops-token")))).toBe("ops");
    expect(() => auth.authorize("ops", describeCluster, {})).toThrow(PermissionDeniedError);
    auth.replaceRules({
      authTokens: [{ principal: "ops", sha256: hashToken("new-ops-token") }],
      acls: [{ principal: "ops", resource: { type: "cluster" }, operations: ["describe"] }],
    });
    expect(() => auth.authenticate(call(bearer("ops-token")))).toThrow(UnauthenticatedError);
    expect(auth.authenticate(call(bearer("new-ops-token")))).toBe("ops");
    expect(() => auth.authorize("ops", describeCluster, {})).not.toThrow();
  });

  it("keeps the inter-broker token whatever the rules say, and ignores rules' tokens for that principal", () => {
    const auth = authorizer();
    auth.replaceRules({ authTokens: [{ principal: "broker", sha256: hashToken("minted") }], acls: [] });
    expect(auth.authenticate(call(bearer("broker-token")))).toBe("broker");
    expect(() => auth.authenticate(call(bearer("minted")))).toThrow(UnauthenticatedError);
  });

  it("lets only the inter-broker principal call the internal service, whatever ACLs grant", () => {
    const auth = authorizer();
    const everything = (["topic", "group", "cluster"] as const).map((type) => ({
      principal: "*",
      resource: { type },
      operations: ["read", "write", "create", "delete", "describe", "alter"] as const,
    }));
    auth.replaceRules({ authTokens: [], acls: everything.map((r) => ({ ...r, operations: [...r.operations] })) });
    expect(() => auth.authorize("ops", replicate, {})).toThrow(/inter-broker principal only/);
    expect(() => auth.authorizeCaller("ops", replicate)).toThrow(PermissionDeniedError);
    expect(() => auth.authorize("broker", replicate, {})).not.toThrow();
  });

  it("lets the inter-broker principal read and describe every topic (a coordinator's reads from leaders), nothing more", () => {
    const auth = authorizer();
    const fetch = "tributary.v1.FetchService/Fetch";
    const listOffsets = "tributary.v1.AdminService/ListOffsets";
    expect(() => auth.authorize("broker", fetch, { topic: "orders", partition: 0 })).not.toThrow();
    expect(() => auth.authorize("broker", listOffsets, { topic: "orders", partition: 0 })).not.toThrow();
    expect(() => auth.authorize("ops", fetch, { topic: "orders", partition: 0 })).toThrow(PermissionDeniedError);
    expect(() => auth.authorize("broker", "tributary.v1.AdminService/DeleteTopic", { name: "orders" })).toThrow(PermissionDeniedError);
    expect(() => auth.authorize("broker", describeCluster, {})).toThrow(PermissionDeniedError);
  });

  it("takes an asserted principal from the inter-broker principal only", () => {
    const auth = authorizer();
    const forwarded = call({ ...bearer("broker-token"), [assertedPrincipalHeader]: "ops" });
    expect(auth.authenticate(forwarded)).toBe("ops");
    // Charged where it entered, not again here.
    expect(auth.forwarded(forwarded)).toBe(true);
    expect(auth.forwarded(call(bearer("ops-token")))).toBe(false);
    expect(() => auth.authenticate(call({ ...bearer("ops-token"), [assertedPrincipalHeader]: "broker" }))).toThrow(/may not act for another principal/);
  });

  it("gives equal rules one key, whatever their operations' order", () => {
    const rule = { principal: "p", resource: { type: "topic" as const, prefix: "a" }, operations: ["write", "read"] as const };
    expect(aclKey({ ...rule, operations: ["read", "write", "read"] })).toBe(aclKey({ ...rule, operations: [...rule.operations] }));
    expect(aclKey({ ...rule, operations: ["read"] })).not.toBe(aclKey({ ...rule, operations: [...rule.operations] }));
  });
});
