import front from "./front.json";
import intercom from "./intercom.json";
import paddle from "./paddle.json";

/**
 * Every declaration in this folder, bundled at build time (a Worker has no filesystem): one line per file.
 * The loader (src/plugins/load.ts) validates each; a malformed one is listed as broken and the others serve.
 */
export const bundledPluginFiles: Record<string, unknown> = {
  "front.json": front,
  "intercom.json": intercom,
  "paddle.json": paddle,
};
