export { createProduceHandler, createProduceParser, produceStreamCodec } from "./produce-handler.js";
