import type { WebhookSource } from "../../webhooks/source";
import type { ChallengeSpec } from "./schema";

/**
 * Validation handshakes of declared sources. Front saves an application webhook only when its signed `sync`
 * request is answered 200 with the X-Front-Challenge value (https://dev.frontapp.com/docs/application-webhooks).
 * The route asks for the answer after verification, so only a correctly signed request gets its value echoed.
 */

const specs = new WeakMap<WebhookSource<unknown>, ChallengeSpec>();

export function registerChallenge(source: WebhookSource<unknown>, spec: ChallengeSpec | undefined): void {
  if (spec) specs.set(source, spec);
}

/** Longer values are not a vendor's random token; they are not echoed. */
const MAX_CHALLENGE = 256;

export type ChallengeAnswer = { respond: "json" | "text"; value: string };

export function challengeAnswer(source: WebhookSource<unknown>, headers: Headers): ChallengeAnswer | undefined {
  const spec = specs.get(source);
  const value = spec ? headers.get(spec.header)?.trim() : undefined;
  if (!spec || !value || value.length > MAX_CHALLENGE) return undefined;
  return { respond: spec.respond, value };
}
