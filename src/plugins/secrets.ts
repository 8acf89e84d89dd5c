import { configSchema, type Config, type Env } from "../env";

/**
 * Which secret a declared source may name, and where its value comes from. The name must say it is an inbound
 * webhook secret (`ACME_WEBHOOK_SECRET`, `…_SIGNING_SECRET`, …): a built-in source's, or one the deployment does not
 * otherwise read, set with `wrangler secret put`. A credential Tenure or the Worker uses for something else
 * (ADMIN_TOKEN, STRIPE_SECRET_KEY, an API token) is refused: a token-scheme declaration naming it would turn an
 * inbound endpoint into a way to test guesses of it.
 */

const INBOUND_SECRET = /_(WEBHOOK_SECRET|WEBHOOK_TOKEN|CLIENT_SECRET|SIGNING_SECRET|SHARED_SECRET)$/;

export function secretProblem(name: string): string | undefined {
  if (INBOUND_SECRET.test(name)) return undefined;
  return `${name} is not named as a webhook secret: name one ending in _WEBHOOK_SECRET, _WEBHOOK_TOKEN, _CLIENT_SECRET, _SIGNING_SECRET or _SHARED_SECRET (e.g. ACME_WEBHOOK_SECRET)`;
}

/** The secret's value: from the parsed config when Tenure reads it, else straight from the environment. */
export function declaredSecretValue(cfg: Config, env: Env | Record<string, unknown>, name: string): string | undefined {
  const v = Object.hasOwn(configSchema.shape, name) ? (cfg as Record<string, unknown>)[name] : env[name];
  return typeof v === "string" && v.trim() !== "" ? v : undefined;
}
