import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { CustomerState } from "../../src/core/state";
import { drain } from "../support/drain";
import { fixture } from "../support/fixtures";
import { signSegment } from "../support/sign/segment";

/** Segment event names are whatever the customer's product sends; these are Object.prototype members. */
const HOSTILE = ["__proto__", "constructor", "toString"];
const PLAIN = ["Report Exported", "Dashboard Viewed", "Invite Sent"];
const AT = Date.now() - 60_000;

async function postSegment(patch: (p: any) => void) {
  const p = JSON.parse(fixture("segment", "track"));
  patch(p);
  const body = JSON.stringify(p);
  const res = await SELF.fetch("https://tenure.example.com/webhooks/segment", { method: "POST", body, headers: await signSegment("segment_secret", body) });
  expect(res.status).toBe(200);
}

/** One account (a Segment group) that then tracks `names`, one second apart, by the same user. */
async function account(groupId: string, domain: string, names: string[]) {
  await postSegment((g) => {
    Object.assign(g, JSON.parse(fixture("segment", "group")), { groupId, messageId: `group-${groupId}`, userId: `user_${groupId}` });
    g.traits = { name: `Account ${groupId}`, website: `https://${domain}` };
    g.timestamp = new Date(AT - 10_000).toISOString();
  });
  for (const [i, name] of names.entries()) {
    await postSegment((t) => {
      Object.assign(t, { event: name, messageId: `track-${groupId}-${i}`, userId: `user_${groupId}`, timestamp: new Date(AT + i * 1000).toISOString() });
      t.context.groupId = groupId;
      t.context.traits = {};
    });
  }
}

async function stateOf(groupId: string) {
  const row = await env.DB.prepare(
    `SELECT c.state, c.score FROM customers c JOIN identities i ON i.customer_id = c.id WHERE i.kind = 'segment_group' AND i.value = ?`,
  )
    .bind(groupId)
    .first<{ state: string; score: number | null }>();
  expect(row).not.toBeNull();
  return { state: JSON.parse(row!.state) as CustomerState, score: row!.score };
}

/** Keys (event names numbered) and value types: the state's skeleton. */
function shape(v: unknown, names: string[]): unknown {
  // A day's feature list is sorted by name, so it is compared as a set.
  if (Array.isArray(v) && v.every((x) => typeof x === "string" && names.includes(x))) return v.map((x) => `name${names.indexOf(x)}`).sort();
  if (Array.isArray(v)) return v.map((x) => shape(x, names));
  if (v && typeof v === "object") {
    return Object.entries(v)
      .map(([k, x]) => [names.includes(k) ? `name${names.indexOf(k)}` : k, shape(x, names)] as const)
      .sort(([a], [b]) => (a < b ? -1 : 1));
  }
  return typeof v;
}

describe("a signed Segment track named __proto__, constructor or toString", () => {
  beforeAll(async () => {
    await account("acct_proto_keys", "proto-keys.example", HOSTILE);
    await account("acct_plain_keys", "plain-keys.example", PLAIN);
    await drain();
  });

  it("is counted like any other event", async () => {
    const { state } = await stateOf("acct_proto_keys");
    expect(Object.keys(state.usage.events).sort()).toEqual([...HOSTILE].sort());
    for (const [i, name] of HOSTILE.entries()) {
      const seen = Object.getOwnPropertyDescriptor(state.usage.events, name)?.value;
      expect(seen, name).toEqual({ firstAt: Date.parse(new Date(AT + i * 1000).toISOString()), lastAt: Date.parse(new Date(AT + i * 1000).toISOString()) });
    }
    expect(Object.values(state.usage.days).flatMap((d) => d.f).sort()).toEqual([...HOSTILE].sort());
  });

  it("leaves the state, and the score, as ordinary event names do", async () => {
    const hostile = await stateOf("acct_proto_keys");
    const plain = await stateOf("acct_plain_keys");
    expect(shape(hostile.state, HOSTILE)).toEqual(shape(plain.state, PLAIN));
    expect(hostile.score).toBe(plain.score);
  });
});
