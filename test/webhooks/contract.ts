import { env, SELF } from "cloudflare:test";
import { carriedApp } from "../support/carried";
import { KEPT_DELIVERIES } from "../support/inbox";
import { describe, expect, it } from "vitest";
import { SignatureError } from "../../webhooks/signature";
import type { WebhookSource } from "../../webhooks/source";

export const PUBLIC_URL = "https://tenure.example.com";

export interface SignOptions {
  now: number;
  method: string;
  url: string;
}

export interface SourceContractCase {
  source: WebhookSource<any>;
  /** The test secret configured for this source (vitest.config.ts bindings). */
  secret: string;
  /** Real-shaped payloads, as raw strings: every one must verify, parse and normalize. */
  fixtures: Record<string, string>;
  /** Signs a raw body with the vendor's real algorithm; returns the headers the vendor sends. */
  sign(rawBody: string, opts: SignOptions): Promise<Record<string, string>>;
  /** Whether the scheme carries a signed timestamp (then stale and future ones must be rejected). */
  timestamped: boolean;
  /**
   * False for a shared-token scheme that covers no body bytes (Freshdesk): the changed-byte checks are
   * skipped, and a wrong token must be rejected instead (the "another secret" check).
   */
  signsBody?: boolean;
  /** The headers a vendor always sends that carry the signature (each, when missing, must be rejected). */
  signatureHeaders: string[];
  /** A signed-valid body of an event type Tenure does not use. */
  unknownTypeBody: string;
  /** A body that is valid JSON but breaks the vendor's schema. */
  malformedBody: string;
  /**
   * A signed-valid body of a used event type whose own event time is `at` (ms), with a delivery id that
   * depends on `at`. Omitted for a source whose payload carries no event time.
   */
  datedBody?: (at: number) => string;
  /**
   * The deployment carries this source's deliveries on the events queue (QUEUE_CARRIED_SOURCES): the route checks
   * then run with it on, nothing is in the inbox until the consumer applies what the queue holds, and a duplicate is
   * found there.
   */
  carried?: boolean;
}

const FIVE_MIN = 5 * 60 * 1000;
const HOUR = 3_600_000;

/**
 * The contract every webhook source passes (modelled on hono's shared router suite): the same
 * checks, at the source level and through the real route on workerd with a migrated D1.
 */
export function runSourceContract(c: SourceContractCase): void {
  const name = c.source.name;
  const path = `/webhooks/${name}`;
  const url = `${PUBLIC_URL}${path}`;
  const first = Object.values(c.fixtures)[0]!;

  async function verify(body: string, headers: Record<string, string>, now = Date.now()) {
    return c.source.verify({ rawBody: body, headers: new Headers(headers), method: "POST", url, now, secret: c.secret });
  }
  const carried = c.carried ? carriedApp(name) : null;
  async function post(body: string, headers: Record<string, string>) {
    if (carried) return carried.post(url, body, headers);
    return SELF.fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
  }
  /** Applies what a carried source's deliveries left on the queue; nothing to do for the others (their rows are stored at ingest). */
  async function applyQueued() {
    if (carried) await carried.apply();
  }
  /** Deliveries kept: inbox rows, and the ids of applied carried deliveries (migrations/0028_applied_deliveries.sql). */
  async function inboxCount(): Promise<number> {
    const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${KEPT_DELIVERIES} WHERE source = ?`).bind(name).first<{ n: number }>();
    return row?.n ?? 0;
  }

  describe(`source contract: ${name}`, () => {
    it("accepts every fixture with a valid signature", async () => {
      const now = Date.now();
      for (const body of Object.values(c.fixtures)) {
        await expect(verify(body, await c.sign(body, { now, method: "POST", url }), now)).resolves.toBeUndefined();
      }
    });

    it.skipIf(c.signsBody === false)("rejects a body with one changed byte", async () => {
      const now = Date.now();
      const headers = await c.sign(first, { now, method: "POST", url });
      const i = Math.floor(first.length / 2);
      const tampered = first.slice(0, i) + (first[i] === "a" ? "b" : "a") + first.slice(i + 1);
      await expect(verify(tampered, headers, now)).rejects.toBeInstanceOf(SignatureError);
    });

    it("rejects a signature made with another secret", async () => {
      const now = Date.now();
      const other = { ...c, secret: `${c.secret}x` };
      const headers = await other.sign.call(other, first, { now, method: "POST", url });
      await expect(verify(first, headers, now)).rejects.toBeInstanceOf(SignatureError);
    });

    it("rejects each missing signature header", async () => {
      const now = Date.now();
      const headers = await c.sign(first, { now, method: "POST", url });
      for (const h of c.signatureHeaders) {
        const without = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== h.toLowerCase()));
        await expect(verify(first, without, now)).rejects.toBeInstanceOf(SignatureError);
      }
    });

    if (c.timestamped) {
      it("rejects a stale timestamp (older than 5 minutes)", async () => {
        const now = Date.now();
        const headers = await c.sign(first, { now: now - FIVE_MIN - 60_000, method: "POST", url });
        await expect(verify(first, headers, now)).rejects.toMatchObject({ reason: "stale_timestamp" });
      });
      it("rejects a future timestamp (more than 5 minutes ahead)", async () => {
        const now = Date.now();
        const headers = await c.sign(first, { now: now + FIVE_MIN + 60_000, method: "POST", url });
        await expect(verify(first, headers, now)).rejects.toMatchObject({ reason: "future_timestamp" });
      });
    }

    it("parses and normalizes every fixture, deterministically", () => {
      for (const [fixture, body] of Object.entries(c.fixtures)) {
        const parsed = c.source.schema.safeParse(JSON.parse(body));
        expect(parsed.success, `${fixture}: ${parsed.error?.message}`).toBe(true);
        const a = c.source.normalize(parsed.data, body, { now: 0 });
        const b = c.source.normalize(c.source.schema.parse(JSON.parse(body)), body, { now: 0 });
        expect(a).toEqual(b);
        expect(a.length).toBeGreaterThan(0);
      }
    });

    it("ignores unknown event types without error", () => {
      const deliveries = c.source.normalize(c.source.schema.parse(JSON.parse(c.unknownTypeBody)), c.unknownTypeBody, { now: 0 });
      expect(deliveries.length).toBeGreaterThan(0);
      for (const d of deliveries) expect(d.events).toEqual([]);
    });

    describe("through the route", () => {
      it("stores a valid delivery and answers 2xx; a duplicate changes nothing", async () => {
        const before = await inboxCount();
        const headers = await c.sign(first, { now: Date.now(), method: "POST", url });
        const res = await post(first, headers);
        expect(res.status, await res.clone().text()).toBeLessThan(300);
        if (carried) {
          // Durable on the queue, not yet in D1: the commit that applies it records its id.
          expect((await res.clone().json<{ queued: number }>()).queued).toBeGreaterThan(0);
          expect(await inboxCount()).toBe(before);
          await applyQueued();
        }
        const after = await inboxCount();
        expect(after).toBeGreaterThan(before);
        const again = await post(first, await c.sign(first, { now: Date.now(), method: "POST", url }));
        expect(again.status).toBeLessThan(300);
        await applyQueued();
        expect(await inboxCount()).toBe(after);
      });

      it("answers 401 with a machine-readable reason to a tampered body, and stores nothing", async () => {
        const before = await inboxCount();
        const signer = c.signsBody === false ? { ...c, secret: `${c.secret}x` } : c;
        const headers = await signer.sign.call(signer, first, { now: Date.now(), method: "POST", url });
        const res = await post(first.replace(/.$/, " "), headers);
        expect(res.status).toBe(401);
        const body = await res.json<{ error: { code: string; reason: string } }>();
        expect(body.error.code).toBe("invalid_signature");
        expect(typeof body.error.reason).toBe("string");
        expect(carried?.sent ?? []).toEqual([]);
        expect(await inboxCount()).toBe(before);
      });

      it("answers 400 with the path of the first problem to a signed but malformed body", async () => {
        const before = await inboxCount();
        const headers = await c.sign(c.malformedBody, { now: Date.now(), method: "POST", url });
        const res = await post(c.malformedBody, headers);
        expect(res.status).toBe(400);
        const body = await res.json<{ error: { code: string; path: string } }>();
        expect(body.error.code).toBe("invalid_payload");
        expect(typeof body.error.path).toBe("string");
        expect(carried?.sent ?? []).toEqual([]);
        expect(await inboxCount()).toBe(before);
      });

      it.skipIf(!c.datedBody)("refuses an event dated far in the future, days ahead or before 2000 with 400 naming occurredAt, and stores nothing", async () => {
        const now = Date.now();
        for (const at of [Date.UTC(9999, 11, 31), now + 72 * HOUR, Date.UTC(1999, 11, 31)]) {
          const before = await inboxCount();
          const body = c.datedBody!(at);
          const res = await post(body, await c.sign(body, { now, method: "POST", url }));
          const iso = new Date(at).toISOString();
          expect(res.status, `${iso}: ${await res.clone().text()}`).toBe(400);
          const { error } = await res.json<{ error: { code: string; path: string; message: string } }>();
          expect(error).toMatchObject({ code: "time_out_of_range", path: "occurredAt" });
          expect(error.message).toContain(iso.slice(0, 10));
          expect(carried?.sent ?? []).toEqual([]);
          expect(await inboxCount()).toBe(before);
        }
      });

      it.skipIf(!c.datedBody)("accepts an event dated within the clock-skew tolerance (2 hours ahead)", async () => {
        const body = c.datedBody!(Date.now() + 2 * HOUR);
        const res = await post(body, await c.sign(body, { now: Date.now(), method: "POST", url }));
        expect(res.status, await res.clone().text()).toBeLessThan(300);
        await applyQueued();
      });

      it("answers 2xx to a signed event of a type Tenure does not use, recorded as ignored", async () => {
        const headers = await c.sign(c.unknownTypeBody, { now: Date.now(), method: "POST", url });
        const res = await post(c.unknownTypeBody, headers);
        expect(res.status).toBeLessThan(300);
        const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM inbox_events WHERE source = ? AND status = 'ignored'")
          .bind(name)
          .first<{ n: number }>();
        expect(row!.n).toBeGreaterThan(0);
      });
    });
  });
}
