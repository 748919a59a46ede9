import { buildDistIfStale } from "../helpers/dist-build.js";

/** Once per run of the cluster project: brokers run from dist/, so compile it if stale. */
export default async function setup(): Promise<void> {
  await buildDistIfStale();
}
