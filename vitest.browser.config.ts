import { defineConfig } from "vitest/config";

/**
 * The browser test: plain Node (not workerd). It starts `wrangler dev` and drives the dashboard in the
 * system's headless Chromium, so it runs on its own: `npx vitest run --config vitest.browser.config.ts`.
 */
export default defineConfig({
  test: {
    include: ["test-browser/**/*.browser.test.ts"],
    environment: "node",
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
