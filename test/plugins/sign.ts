import { base64, hex, hmacBytes } from "../support/sign/crypto";

/**
 * The vendors' own algorithms, written from their docs independently of src/plugins/verify.ts.
 * Paddle: https://developer.paddle.com/webhooks/signature-verification
 * Front:  https://dev.frontapp.com/docs/application-webhooks (Verifying integrity)
 */

/** Paddle-Signature: ts=<unix seconds>;h1=<hex HMAC-SHA256(secret, "ts:body")>; several h1 during a secret rotation. */
export async function signPaddle(secret: string, body: string, now = Date.now(), extraSecrets: string[] = []): Promise<Record<string, string>> {
  const ts = Math.floor(now / 1000);
  const h1s = [];
  for (const s of [secret, ...extraSecrets]) h1s.push(`h1=${hex(await hmacBytes("SHA-256", s, `${ts}:${body}`))}`);
  return { "Paddle-Signature": [`ts=${ts}`, ...h1s].join(";") };
}

/** X-Front-Signature: base64 HMAC-SHA256(app signing key, "<X-Front-Request-Timestamp in ms>:body"). */
export async function signFront(secret: string, body: string, now = Date.now()): Promise<Record<string, string>> {
  const ts = String(now);
  return { "X-Front-Request-Timestamp": ts, "X-Front-Signature": base64(await hmacBytes("SHA-256", secret, `${ts}:${body}`)) };
}

export const PADDLE_SECRET = "pdl_ntfset_test_secret";
export const FRONT_SECRET = "front_app_signing_key";
