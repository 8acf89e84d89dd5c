/**
 * The demo's fixed, public values: local ports and throwaway secrets shared by the local server (passed
 * with `wrangler dev --var`, so a developer's .dev.vars is never read for them), the fake vendors and
 * the signer. None of them is a real credential.
 */
export const DEMO = {
  port: 8787,
  publicUrl: "http://127.0.0.1:8787",
  fakePorts: { hubspot: 8790, slack: 8791, stripe: 8792 },
  hubspotPortalId: 4_242_424,
  secrets: {
    ADMIN_TOKEN: "demo-admin-token-0123456789",
    STRIPE_WEBHOOK_SECRET: "whsec_demo_0123456789abcdef",
    STRIPE_SECRET_KEY: "sk_test_demo_0123456789",
    HUBSPOT_ACCESS_TOKEN: "pat-demo-hubspot-0123456789",
    HUBSPOT_CLIENT_SECRET: "demo-hubspot-client-secret",
    SLACK_BOT_TOKEN: "xoxb-demo-slack-0123456789",
    SLACK_SIGNING_SECRET: "demo-slack-signing-secret",
    SLACK_ALERT_CHANNEL: "C0DEMOALERTS",
    ZENDESK_WEBHOOK_SECRET: "demo-zendesk-signing-secret",
    INTERCOM_CLIENT_SECRET: "demo-intercom-client-secret",
    SEGMENT_SHARED_SECRET: "demo-segment-shared-secret",
    DELIGHTED_WEBHOOK_SECRET: "demo-delighted-secret",
    TYPEFORM_WEBHOOK_SECRET: "demo-typeform-secret",
  },
} as const;

export function fakeBases(host = "127.0.0.1"): { hubspot: string; slack: string; stripe: string } {
  const p = DEMO.fakePorts;
  return { hubspot: `http://${host}:${p.hubspot}`, slack: `http://${host}:${p.slack}/api`, stripe: `http://${host}:${p.stripe}` };
}

/** Every variable the local server needs for the demo. */
export function demoVars(): Record<string, string> {
  const bases = fakeBases();
  return {
    ...DEMO.secrets,
    PUBLIC_URL: DEMO.publicUrl,
    HUBSPOT_API_BASE: bases.hubspot,
    HUBSPOT_PORTAL_ID: String(DEMO.hubspotPortalId),
    SLACK_API_BASE: bases.slack,
    STRIPE_API_BASE: bases.stripe,
    // Alerts settle for 15 s (2 minutes in production) and are checked again before they are posted.
    SLACK_ALERT_SETTLE_MS: "15000",
  };
}
