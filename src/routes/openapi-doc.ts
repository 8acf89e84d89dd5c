import { alertsPaths } from "./alerts-openapi";
import { customerPaths } from "./customers-openapi";
import { inboundPaths } from "./inbound-openapi";
import { loyaltyPaths } from "./loyalty-openapi";
import { memberPaths } from "./member-openapi";
import { metricsPaths } from "./metrics-openapi";
import { modelPaths } from "./model-openapi";
import { components } from "./openapi-components";
import { pipelinePaths } from "./pipeline-openapi";
import { pluginPaths } from "./plugins-openapi";
import { setupPaths } from "./setup-openapi";

/**
 * The public contract of Tenure's HTTP API, served at GET /openapi.json and linted by `npm run lint:openapi`.
 * test/routes/openapi.test.ts fails when a route under /api, /webhooks or /slack is missing here.
 *
 * The dashboard's routes (/, /login, /logout, /portfolio, ...) are left out on purpose: they answer HTML to a
 * browser holding a session cookie and a CSRF token, not JSON to a client, and their forms call the routes below.
 */
export const openapiDocument = {
  openapi: "3.1.0",
  info: {
    title: "Tenure",
    version: "0.1.0",
    description:
      "Customer health and loyalty hub. Signed vendor webhooks in; health scores, loyalty stages and actions out to HubSpot, Slack and Stripe. " +
      "Every error is `{ error: { code, message, requestId, ...details } }` (the Error schema), and every response carries `x-request-id`.",
    license: { name: "MIT", identifier: "MIT" },
  },
  servers: [{ url: "/", description: "The Tenure deployment serving this document: PUBLIC_URL in production, http://127.0.0.1:8787 under `npm start`." }],
  // The admin token by default; the public routes (health, this document, webhooks) opt out with `security: []`.
  security: [{ adminToken: [] }],
  tags: [
    { name: "Status", description: "Liveness and this document; no auth." },
    { name: "Webhooks", description: "Vendor callbacks, authenticated by each vendor's signature over the raw body." },
    { name: "Customers", description: "Customers, their health and stage, and the ids that link them." },
    { name: "Privacy", description: "Erasing a person's data." },
    { name: "Inbox", description: "Vendor deliveries as stored, and re-driving the failed ones." },
    { name: "Outbox", description: "Actions to HubSpot, Slack and Stripe, and their delivery state." },
    { name: "Model", description: "The health model, re-scoring and backtests." },
    { name: "Metrics", description: "Customer-success metrics." },
    { name: "Loyalty", description: "Referrals, points, redemptions." },
    { name: "Members", description: "The loyalty program as its members see it: the member API (a member token signed with TENURE_MEMBER_SECRET), referral links and the widget." },
    { name: "Setup", description: "One-time vendor setup and backfills of existing records." },
  ],
  paths: {
    ...inboundPaths,
    ...customerPaths,
    ...pipelinePaths,
    ...modelPaths,
    ...metricsPaths,
    ...alertsPaths,
    ...loyaltyPaths,
    ...memberPaths,
    ...setupPaths,
    ...pluginPaths,
  },
  components,
};
