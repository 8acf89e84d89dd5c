import { z } from "zod";
import { roleRulesSchema } from "./core/roles";

/** Bindings declared in wrangler.toml. */
export interface Bindings {
  DB: D1Database;
  EVENTS: Queue<EventMessage>;
  ACTIONS: Queue<ActionMessage>;
  GATE?: DurableObjectNamespace;
  /** Per-account serialization (src/shard/account-shard.ts). */
  SHARDS?: DurableObjectNamespace<import("./shard/account-shard").AccountShard>;
}

/** An inbox row to apply, or a delivery carried on the queue with no row yet (src/store/carried.ts). */
export type EventMessage = { eventId: string } | { delivery: import("./store/carried").CarriedDelivery; direct?: true };
export interface ActionMessage {
  actionId: string;
}

const optionalSecret = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== "" ? v : undefined));

const url = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v && v.trim() !== "" ? v.trim().replace(/\/+$/, "") : fallback))
    .pipe(z.url({ message: "must be an absolute URL" }));

const intVar = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v === "" ? fallback : Number(v)))
    .pipe(z.number().int().nonnegative());

/** Secrets and variables. Every secret is optional: a missing one disables its source or connector, visibly. */
export const configSchema = z.object({
  ADMIN_TOKEN: optionalSecret,
  PUBLIC_URL: z
    .string()
    .optional()
    .transform((v) => (v && v.trim() !== "" ? v.trim().replace(/\/+$/, "") : undefined)),

  /** Cloudflare Access in front of the dashboard: the team domain (https://<team>.cloudflareaccess.com) and the application's AUD tag. */
  CF_ACCESS_TEAM_DOMAIN: z
    .string()
    .optional()
    .transform((v) => (v && v.trim() !== "" ? v.trim().replace(/\/+$/, "") : undefined))
    .pipe(z.url({ message: "must be an absolute URL" }).optional()),
  CF_ACCESS_AUD: optionalSecret,
  /** JSON: `{ "admins": [...], "csms": [...] }` of emails or "*@domain"; anyone else signed in is a viewer. */
  TENURE_ROLES: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v || v.trim() === "") return {};
      try {
        return JSON.parse(v) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "must be JSON" });
        return z.NEVER;
      }
    })
    .pipe(roleRulesSchema),

  STRIPE_WEBHOOK_SECRET: optionalSecret,
  STRIPE_SECRET_KEY: optionalSecret,
  STRIPE_API_BASE: url("https://api.stripe.com"),

  HUBSPOT_ACCESS_TOKEN: optionalSecret,
  HUBSPOT_CLIENT_SECRET: optionalSecret,
  HUBSPOT_API_BASE: url("https://api.hubapi.com"),
  HUBSPOT_PORTAL_ID: optionalSecret,

  SLACK_BOT_TOKEN: optionalSecret,
  SLACK_SIGNING_SECRET: optionalSecret,
  SLACK_ALERT_CHANNEL: optionalSecret,
  SLACK_API_BASE: url("https://slack.com/api"),

  ZENDESK_WEBHOOK_SECRET: optionalSecret,
  /** Zendesk API lookups of requesters and organizations (enrichment): `{subdomain}.zendesk.com`, Basic `{email}/token:{token}`. */
  ZENDESK_SUBDOMAIN: optionalSecret,
  ZENDESK_API_EMAIL: optionalSecret,
  ZENDESK_API_TOKEN: optionalSecret,
  /** Overrides `https://{ZENDESK_SUBDOMAIN}.zendesk.com` (tests, a proxy). */
  ZENDESK_API_BASE: optionalSecret,
  INTERCOM_CLIENT_SECRET: optionalSecret,
  FRESHDESK_WEBHOOK_TOKEN: optionalSecret,
  /** Freshdesk's API (satisfaction ratings are API-only): `{domain}.freshdesk.com`, Basic `{api key}:X`. */
  FRESHDESK_DOMAIN: optionalSecret,
  FRESHDESK_API_KEY: optionalSecret,
  /** Overrides `https://{FRESHDESK_DOMAIN}.freshdesk.com` (tests, a proxy). */
  FRESHDESK_API_BASE: optionalSecret,
  HELPSCOUT_WEBHOOK_SECRET: optionalSecret,
  SEGMENT_SHARED_SECRET: optionalSecret,
  DELIGHTED_WEBHOOK_SECRET: optionalSecret,
  TYPEFORM_WEBHOOK_SECRET: optionalSecret,
  /** Declared sources (plugins/paddle.json, plugins/front.json). */
  PADDLE_WEBHOOK_SECRET: optionalSecret,
  FRONT_WEBHOOK_SECRET: optionalSecret,

  /** Deployment-wide request rates per destination, e.g. "100/10s" (HubSpot Free/Starter; 190/10s on Pro and Enterprise). */
  HUBSPOT_RATE_LIMIT: z.string().default("100/10s"),
  SLACK_RATE_LIMIT: z.string().default("1/1s"),
  STRIPE_RATE_LIMIT: z.string().default("25/1s"),
  /** Zendesk allows 200 to 2,500 requests a minute by plan (legacy Essential: 10); lookups share it with other apps. */
  ZENDESK_RATE_LIMIT: z.string().default("100/1m"),
  /** The Standard Webhooks outbound stream (connectors/webhook-out.ts): the receiver's URL and its whsec_ secret. */
  WEBHOOK_OUT_URL: z
    .string()
    .optional()
    .transform((v) => (v && v.trim() !== "" ? v.trim() : undefined))
    .refine((v) => v === undefined || /^https?:\/\/[^/\s]+/.test(v), "must be the receiver's http(s) URL"),
  WEBHOOK_OUT_SECRET: optionalSecret,
  WEBHOOK_RATE_LIMIT: z.string().default("10/1s"),
  /** The declared Intercom destination (plugins/intercom.json); the base defaults to https://api.intercom.io. */
  INTERCOM_ACCESS_TOKEN: optionalSecret,
  INTERCOM_API_BASE: optionalSecret,
  /** How long HubSpot property writes wait to coalesce a burst into full batches of 100. */
  HUBSPOT_COALESCE_MS: intVar(5000),
  /** How many account shards apply events (src/shard/); 0 (the default for now) applies them in the consumer itself. */
  ACCOUNT_SHARDS: intVar(0),
  /** How long an account shard holds usage deliveries to apply them together (src/shard/hold.ts); 0 applies at once. */
  SHARD_HOLD_MS: intVar(0),
  /**
   * Comma-separated sources whose deliveries travel on the events queue and are written to the inbox only by the
   * commit that applies them (src/store/carried.ts); empty (the default for now) writes every delivery at ingest.
   */
  QUEUE_CARRIED_SOURCES: z
    .string()
    .optional()
    .transform((v) => new Set((v ?? "").split(",").map((s) => s.trim()).filter((s) => s !== ""))),
  /** Slack alerts wait this long and are re-checked before posting, so a burst of facts settles first. */
  SLACK_ALERT_SETTLE_MS: intVar(120_000),

  /** Optional JSON overriding the model, lifecycle, alert and reward defaults (see README). */
  TENURE_CONFIG: z.string().optional(),
  RAW_PAYLOAD_RETENTION_DAYS: intVar(30),
  /** How far ahead of its arrival an event may be dated (vendor clock skew); later ones are refused at ingest. */
  MAX_EVENT_FUTURE_HOURS: intVar(24),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),

  /** HS256 key the SaaS's backend signs member tokens with; without it /member/* answers 503. */
  TENURE_MEMBER_SECRET: optionalSecret,
  /** Comma-separated origins allowed to call /member/* from a browser; unset allows any origin (no cookies are used). */
  MEMBER_ALLOWED_ORIGINS: z
    .string()
    .optional()
    .transform((v) => (v ?? "").split(",").map((o) => o.trim().replace(/\/+$/, "")).filter((o) => o !== "")),
  /** Where GET /r/:code sends a visitor: the SaaS's signup or checkout page. */
  REFERRAL_LANDING_URL: z
    .string()
    .optional()
    .transform((v) => (v && v.trim() !== "" ? v.trim() : undefined))
    .pipe(z.url({ message: "must be an absolute URL" }).optional()),
});

export type Config = z.infer<typeof configSchema>;
export type SecretName = {
  [K in keyof Config]-?: K extends `${string}_${"SECRET" | "TOKEN" | "KEY"}` ? K : never;
}[keyof Config];

export type Env = Bindings & Record<string, unknown>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

const cache = new WeakMap<object, Config>();

/** Parses the Worker's vars and secrets once per env object; a bad value is a clear error naming the variable. */
export function loadConfig(env: Env): Config {
  const hit = cache.get(env);
  if (hit) return hit;
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`Invalid configuration: ${issue.path.join(".")} ${issue.message}`);
  }
  cache.set(env, parsed.data);
  return parsed.data;
}

const secretsOf = new WeakMap<Config, string[]>();

/** Every configured secret value (computed once per config), so logs can be scrubbed of them. */
export function secretValues(cfg: Config): string[] {
  let values = secretsOf.get(cfg);
  if (!values) {
    values = Object.entries(cfg)
      .filter(([k, v]) => /(_SECRET|_TOKEN|_KEY)$/.test(k) && typeof v === "string" && v.length >= 6)
      .map(([, v]) => v as string);
    secretsOf.set(cfg, values);
  }
  return values;
}

/** Zendesk's API base: ZENDESK_API_BASE, else `https://{ZENDESK_SUBDOMAIN}.zendesk.com`; null when neither is set. */
export function zendeskApiBase(cfg: Config): string | null {
  if (cfg.ZENDESK_API_BASE) return cfg.ZENDESK_API_BASE.replace(/\/+$/, "");
  if (cfg.ZENDESK_SUBDOMAIN && /^[a-z0-9][a-z0-9-]*$/i.test(cfg.ZENDESK_SUBDOMAIN)) return `https://${cfg.ZENDESK_SUBDOMAIN.toLowerCase()}.zendesk.com`;
  return null;
}
