import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { BrokerRegistrationSchema } from "../../gen/ts/tributary/cluster/v1/metadata_pb.js";
import type { LiveBroker } from "../../services/cluster/cluster-state.js";
import { featureLevel, finalizedFeatures, supportedFeatures } from "../../services/cluster/features.js";

const broker = (id: number, features: Record<string, number>): LiveBroker => ({
  registration: create(BrokerRegistrationSchema, { id, address: `h:${id}`, features }),
  brokerEpoch: BigInt(id * 10),
});

describe("broker features", () => {
  it("finalizes each feature at the lowest level every live broker advertises", () => {
    const brokers = [broker(1, { a: 2, b: 1 }), broker(2, { a: 1, b: 1, c: 3 }), broker(3, { a: 3, b: 2, c: 1 })];
    expect(featureLevel(brokers, "a")).toBe(1);
    expect(featureLevel(brokers, "b")).toBe(1);
    // Broker 1 lacks c: off.
    expect(featureLevel(brokers, "c")).toBe(0);
    expect(finalizedFeatures(brokers)).toEqual({ a: 1, b: 1 });
  });

  it("is 0 with no live broker, and a broker without features switches every one off", () => {
    expect(featureLevel([], "controlled-shutdown")).toBe(0);
    expect(finalizedFeatures([broker(1, { ...supportedFeatures }), broker(2, {})])).toEqual({});
  });

  it("this build supports controlled shutdown", () => {
    expect(supportedFeatures["controlled-shutdown"]).toBe(1);
    expect(finalizedFeatures([broker(1, { ...supportedFeatures })])).toEqual(supportedFeatures);
  });
});
