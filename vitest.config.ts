import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    // Long variants: FUZZ_RUNS=10000 npx vitest run test/fuzz, FAULT_EVENTS=5000 npx vitest run test/faults
    // (read as import.meta.env.FUZZ_RUNS / FAULT_EVENTS).
    envPrefix: ["VITE_", "FUZZ_", "FAULT_"],
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // Test-only secrets: each source and connector is exercised with its own value.
          bindings: {
            TEST_MIGRATIONS: migrations,
            ADMIN_TOKEN: "test-admin-token-0123456789",
            STRIPE_WEBHOOK_SECRET: "whsec_test_secret",
            STRIPE_SECRET_KEY: "sk_test_tenure_0123456789",
            STRIPE_API_BASE: "https://stripe.fake",
            HUBSPOT_ACCESS_TOKEN: "pat-test-hubspot-0123456789",
            HUBSPOT_CLIENT_SECRET: "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy",
            HUBSPOT_API_BASE: "https://hubspot.fake",
            SLACK_BOT_TOKEN: "xoxb-test-slack-0123456789",
            SLACK_SIGNING_SECRET: "8f742231b10e8888abcd99yyyzzz85a5",
            SLACK_ALERT_CHANNEL: "C0ALERTS",
            SLACK_API_BASE: "https://slack.fake/api",
            ZENDESK_WEBHOOK_SECRET: "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==",
            INTERCOM_CLIENT_SECRET: "client_secret_abc",
            FRESHDESK_WEBHOOK_TOKEN: "freshdesk_token_0123456789",
            HELPSCOUT_WEBHOOK_SECRET: "helpscout_secret",
            SEGMENT_SHARED_SECRET: "segment_secret",
            DELIGHTED_WEBHOOK_SECRET: "delighted_secret",
            TYPEFORM_WEBHOOK_SECRET: "typeform_secret",
            PADDLE_WEBHOOK_SECRET: "pdl_ntfset_test_secret",
            FRONT_WEBHOOK_SECRET: "front_app_signing_key",
            PUBLIC_URL: "https://tenure.example.com",
            HUBSPOT_COALESCE_MS: "0",
            SLACK_ALERT_SETTLE_MS: "0",
            // Off for the suite at large, whose drain() applies what the inbox holds; the carried path's own tests, the
            // contract's Segment case and the fault suite turn it on with a queue they can read.
            QUEUE_CARRIED_SOURCES: "",
            // Applied at once: the hold's own tests and the fault suite set it (src/shard/hold.ts).
            SHARD_HOLD_MS: "0",
            TENURE_MEMBER_SECRET: "test-member-secret-0123456789abcdef",
            REFERRAL_LANDING_URL: "https://app.example.com/signup?plan=pro",
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      setupFiles: ["./test/setup/no-network.ts", "./test/setup/apply-migrations.ts", "./test/setup/row-ceiling.ts", "./test/setup/d1-limits.ts"],
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  };
});
