export { createProduceHandler, createProduceParser, type ProduceDeps } from "./produce-handler.js";
