import { RpcClient } from "../rpc/bidi-client.js";

/**
 * The one factory for clients of other brokers' gRPC ports (a group coordinator reading
 * a partition from its leader; replication keeps its own RpcClient per leader for now).
 * Plain RpcClient today: inter-broker credentials (TLS, the inter-broker principal)
 * are added here, in one place.
 */
export function interBrokerClient(address: string): RpcClient {
  return new RpcClient(address);
}
