import { env, SELF } from "cloudflare:test";
import type { SourceName } from "../../src/core/events";
import { sources } from "../../webhooks/registry";
import type { WebhookSource } from "../../webhooks/source";
import { PUBLIC_URL } from "../webhooks/contract";
import { signDelighted } from "../support/sign/delighted";
import { signFreshdesk } from "../support/sign/freshdesk";
import { signHelpscout } from "../support/sign/helpscout";
import { signHubspot } from "../support/sign/hubspot";
import { signIntercom } from "../support/sign/intercom";
import { signSegment } from "../support/sign/segment";
import { signStripe } from "../support/sign/stripe";
import { signTypeform } from "../support/sign/typeform";
import { signZendesk } from "../support/sign/zendesk";
import { signFront, signPaddle } from "../plugins/sign";

/**
 * Every registered source with its real signing algorithm (the shared test signers), its configured
 * test secret, and what its scheme protects. Shared by the fuzz and security suites.
 */
export interface SignOpts {
  now: number;
  /** Defaults to the secret bound in the test environment. */
  secret?: string;
}

type Signer = (body: string, secret: string, now: number, url: string) => Promise<Record<string, string>>;

interface Scheme {
  sign: Signer;
  /** The signature covers a timestamp: stale and future ones must be refused. */
  timestamped: boolean;
  /** The header value covers the body bytes (Freshdesk's shared token does not). */
  signsBody: boolean;
}

const schemes: Partial<Record<SourceName, Scheme>> = {
  stripe: { sign: (b, secret, now) => signStripe(b, { now, secret }), timestamped: true, signsBody: true },
  hubspot: { sign: (b, secret, now, url) => signHubspot(secret, b, { now, method: "POST", url }), timestamped: true, signsBody: true },
  zendesk: { sign: (b, secret, now, url) => signZendesk(secret, b, { now, method: "POST", url }), timestamped: true, signsBody: true },
  intercom: { sign: (b, secret) => signIntercom(secret, b), timestamped: false, signsBody: true },
  freshdesk: { sign: (_b, secret) => signFreshdesk(secret), timestamped: false, signsBody: false },
  helpscout: { sign: (b, secret) => signHelpscout(secret, b), timestamped: false, signsBody: true },
  segment: { sign: (b, secret) => signSegment(secret, b), timestamped: false, signsBody: true },
  delighted: { sign: (b, secret) => signDelighted(secret, b), timestamped: false, signsBody: true },
  typeform: { sign: (b, secret) => signTypeform(secret, b), timestamped: false, signsBody: true },
  // Declared sources (plugins/*.json), signed by the vendors' own algorithms.
  paddle: { sign: (b, secret, now) => signPaddle(secret, b, now), timestamped: true, signsBody: true },
  front: { sign: (b, secret, now) => signFront(secret, b, now), timestamped: true, signsBody: true },
};

export interface SignedSource extends Scheme {
  name: SourceName;
  source: WebhookSource<any>;
  secret: string;
  url: string;
  /** Headers for `body` signed now (or at `opts.now`) with the configured (or given) secret. */
  headers(body: string, opts?: Partial<SignOpts>): Promise<Record<string, string>>;
}

/** Every source in the registry; throws if one has no signer here (add it above). */
export function signedSources(): SignedSource[] {
  return Object.values(sources).map((source) => {
    const scheme = schemes[source!.name];
    if (!scheme) throw new Error(`No test signer for source "${source!.name}": add it to test/security/signing.ts`);
    const secret = env[source!.secret] as string;
    const url = `${PUBLIC_URL}/webhooks/${source!.name}`;
    return {
      ...scheme,
      name: source!.name,
      source: source!,
      secret,
      url,
      headers: (body, opts = {}) => scheme.sign(body, opts.secret ?? secret, opts.now ?? Date.now(), url),
    };
  });
}

/** POSTs a raw body (text or bytes) to a source's webhook route. */
export function postWebhook(s: SignedSource, body: string | Uint8Array, headers: Record<string, string>): Promise<Response> {
  return SELF.fetch(s.url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
}

export async function inboxCount(source?: string): Promise<number> {
  const stmt = source
    ? env.DB.prepare("SELECT COUNT(*) AS n FROM inbox_events WHERE source = ?").bind(source)
    : env.DB.prepare("SELECT COUNT(*) AS n FROM inbox_events");
  return (await stmt.first<{ n: number }>())?.n ?? 0;
}
