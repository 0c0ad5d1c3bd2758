/** Package root entry (`lakehouse-engine`): every layer's public surface in one import. */
export * from "../connectors/index.js";
export * from "./jobs/index.js";
