export { murmur2, partitionForKey } from "./murmur2.js";
