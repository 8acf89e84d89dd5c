import { noiseQuery } from "./alerts-noise";
import { adminErrors, badRequest, json, queryParams } from "./openapi-parts";

/** OpenAPI path of the alert rules' noise budget (src/routes/alerts-noise.ts). */

const count = (description: string) => ({ type: "integer", minimum: 0, description });
const share = (description: string) => ({ type: ["number", "null"], minimum: 0, description });

const noiseRow = {
  type: "object",
  required: ["rule", "alertsFired", "accountsAlerted", "alertedChurned", "nonAlertedAccounts", "nonAlertedChurned", "censored", "precision", "baseRate", "lift"],
  properties: {
    rule: { type: "string", description: "An alert rule, or `any` for all rules together." },
    alertsFired: count("Alerts sent (posted, or held for the digest)."),
    accountsAlerted: count("Accounts with at least one alert of the rule, not churned by their first."),
    alertedChurned: count("Of those, accounts that churned within the horizon after their first alert."),
    nonAlertedAccounts: count("Accounts without an alert of the rule, not churned when the rule first fired."),
    nonAlertedChurned: count("Of those, accounts that churned between the rule's first alert and the end of its last window."),
    censored: count("Alerted accounts whose window reaches past now (cut at now: the shares are lower bounds)."),
    precision: share("alertedChurned / accountsAlerted."),
    baseRate: share("For each alerted account's window, the share of non-alerted accounts still there at its start that churned within it; averaged over the windows."),
    lift: share("precision / baseRate: how many times likelier an alerted account churned; null when the base rate is 0."),
  },
};

export const alertsPaths = {
  "/api/alerts/noise": {
    get: {
      operationId: "getAlertNoiseBudget",
      summary: "The alert rules' noise budget: alerts fired, precision and lift against churn",
      description:
        "Per rule: alerts sent, accounts alerted, the share of alerted accounts that churned within `horizonDays` of their first alert, " +
        "and the share of non-alerted accounts that churned over the same windows (the base rate). Churn is read from the event-time stage transitions. " +
        "Reads at most 25,000 alerts and 25,000 customers (`capped` says so).",
      tags: ["Metrics"],
      parameters: queryParams(noiseQuery, { horizonDays: "Days after an alert within which a churn counts." }),
      responses: {
        "200": json({
          type: "object",
          required: ["horizonDays", "accounts", "rules", "any", "now", "capped"],
          properties: {
            horizonDays: { type: "integer" },
            accounts: count("Customers considered."),
            rules: { type: "array", items: noiseRow },
            any: { oneOf: [noiseRow, { type: "null" }], description: "All rules together; null without alerts." },
            now: { type: "integer", description: "ms since epoch: where the windows are cut." },
            capped: { type: "boolean", description: "True when the read stopped at its bound." },
          },
        }),
        ...badRequest(),
        ...adminErrors,
      },
    },
  },
};
