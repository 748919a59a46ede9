export {
  createClient,
  errorReason,
  defaultChannelOptions,
  reasonMetadataKey,
  type CallSettings,
  type ClientOptions,
  type ServerStream,
  type ServiceClient,
} from "./grpc-client.js";
