import { describe, expect, it } from "vitest";
import { hex } from "../support/sign/crypto";
import { fixturesOf } from "../support/fixtures";
import { signStripe } from "../support/sign/stripe";
import { inboxCount, postWebhook, signedSources, type SignedSource } from "./signing";

/**
 * Forged, tampered, replayed, stale and future deliveries, per source, through the real route: each is
 * a 401 with a machine-readable reason, and none leaves a row in the inbox.
 */
const MINUTE = 60_000;

async function expectRefused(s: SignedSource, body: string | Uint8Array, headers: Record<string, string>, reason?: string) {
  const before = await inboxCount(s.name);
  const res = await postWebhook(s, body, headers);
  const json = await res.json<{ error: { code: string; reason: string } }>();
  expect(res.status, JSON.stringify(json)).toBe(401);
  expect(json.error.code).toBe("invalid_signature");
  if (reason) expect(json.error.reason).toBe(reason);
  expect(await inboxCount(s.name)).toBe(before);
}

/** Changes one character in the middle of the body (never to the same character). */
function tamper(body: string): string {
  const i = Math.floor(body.length / 2);
  return body.slice(0, i) + (body[i] === "0" ? "1" : "0") + body.slice(i + 1);
}

for (const s of signedSources()) {
  const fixtures = Object.values(fixturesOf(s.name));
  const body = fixtures[0]!;

  describe(`${s.name}: forged and replayed deliveries`, () => {
    it("refuses a signature made with another secret", async () => {
      await expectRefused(s, body, await s.headers(body, { secret: `${s.secret}-attacker` }));
    });

    it("refuses a delivery without its signature headers, or with them empty", async () => {
      await expectRefused(s, body, {}, "missing_signature");
      const empty = Object.fromEntries(Object.keys(await s.headers(body)).map((h) => [h, ""]));
      await expectRefused(s, body, empty);
    });

    it.skipIf(!s.signsBody)("refuses a correctly signed body changed after signing", async () => {
      await expectRefused(s, tamper(body), await s.headers(body), "bad_signature");
    });

    it.skipIf(s.signsBody)("refuses a token changed by one character", async () => {
      const headers = await s.headers(body);
      const tampered = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, tamper(v)]));
      await expectRefused(s, body, tampered, "bad_signature");
    });

    it("refuses another source's valid signature", async () => {
      const other = signedSources().find((o) => o.name !== s.name && o.signsBody)!;
      await expectRefused(s, body, await other.headers(body));
    });

    it("stores a replayed delivery once: the copy is answered 2xx and changes nothing", async () => {
      const headers = await s.headers(body);
      const first = await postWebhook(s, body, headers);
      expect(first.status).toBeLessThan(300);
      const stored = await inboxCount(s.name);
      const again = await postWebhook(s, body, headers);
      expect(again.status).toBeLessThan(300);
      const r = await again.json<{ received: number; duplicates: number }>();
      expect(r.duplicates).toBe(r.received);
      expect(await inboxCount(s.name)).toBe(stored);
    });

    it.skipIf(!s.timestamped)("refuses a captured delivery replayed after the 5-minute window", async () => {
      await expectRefused(s, body, await s.headers(body, { now: Date.now() - 6 * MINUTE }), "stale_timestamp");
    });

    it.skipIf(!s.timestamped)("refuses a signature dated more than 5 minutes ahead", async () => {
      await expectRefused(s, body, await s.headers(body, { now: Date.now() + 6 * MINUTE }), "future_timestamp");
    });

  });
}

describe("every source verifies the bytes as sent", () => {
  it("does not call a correctly signed body with a UTF-8 byte-order mark a forgery", async () => {
    // The vendor signs the bytes; decoding them must not drop any (TextDecoder strips a BOM by default).
    const refused: string[] = [];
    for (const s of signedSources().filter((x) => x.signsBody)) {
      const body = `\uFEFF${Object.values(fixturesOf(s.name))[0]!}`;
      const res = await postWebhook(s, body, await s.headers(body));
      if ((await res.json<{ error?: { code: string } }>()).error?.code === "invalid_signature") refused.push(s.name);
    }
    expect(refused).toEqual([]);
  });
});

describe("stripe: scheme details", () => {
  const s = signedSources().find((x) => x.name === "stripe")!;
  const body = fixturesOf("stripe")["invoice.paid.first"]!;

  it("refuses a v1 signature moved onto another timestamp", async () => {
    const { "stripe-signature": h } = await signStripe(body, { now: Date.now() - 2 * MINUTE });
    const v1 = /v1=([0-9a-f]+)/.exec(h!)![1];
    await expectRefused(s, body, { "stripe-signature": `t=${Math.floor(Date.now() / 1000)},v1=${v1}` }, "bad_signature");
  });

  it("refuses a header carrying only the v0 (test-mode) scheme", async () => {
    const { "stripe-signature": h } = await signStripe(body);
    await expectRefused(s, body, { "stripe-signature": h!.replace("v1=", "v0=") });
  });

  it("answers a correctly signed body that is not JSON with 400 invalid_json, not a signature error", async () => {
    // Stripe's SDK parses the payload after checking it; a parse failure is not a forged signature.
    const text = "this is signed, but it is not JSON";
    const res = await postWebhook(s, text, await s.headers(text));
    const json = await res.json<{ error: { code: string } }>();
    expect([res.status, json.error.code]).toEqual([400, "invalid_json"]);
  });
});

describe("hubspot: scheme details", () => {
  const s = signedSources().find((x) => x.name === "hubspot")!;
  const body = fixturesOf("hubspot")["company.propertyChange"]!;

  it("refuses a v1 signature (no timestamp, so replayable forever)", async () => {
    const v1 = hex(await sha256(s.secret + body));
    await expectRefused(s, body, { "X-HubSpot-Signature": v1, "X-HubSpot-Signature-Version": "v1" }, "missing_signature");
  });

  it("refuses a v3 signature made for another URL", async () => {
    const elsewhere = await s.sign(body, s.secret, Date.now(), `${s.url}?redirect=1`);
    await expectRefused(s, body, elsewhere, "bad_signature");
  });
});

/** HubSpot v1 is hex(SHA-256(client secret + body)): a plain digest, not an HMAC. */
async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}
