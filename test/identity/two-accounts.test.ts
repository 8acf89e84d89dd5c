import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { fixture } from "../support/fixtures";
import { drain } from "../support/drain";
import { signSegment } from "../support/sign/segment";

async function send(ev: Record<string, unknown>) {
  const body = JSON.stringify(ev);
  const res = await SELF.fetch(`https://tenure.example.com/webhooks/segment`, { method: "POST", body, headers: await signSegment("segment_secret", body) });
  expect(res.status).toBe(200);
}
const group = (id: string, account: string, user: string) => ({
  ...JSON.parse(fixture("segment", "group")),
  messageId: id,
  groupId: account,
  userId: user,
  traits: { name: `Account ${account}`, website: `https://www.${account}.example` },
});
const track = (id: string, account: string, user: string) => {
  const ev = JSON.parse(fixture("segment", "track"));
  Object.assign(ev, { messageId: id, userId: user, anonymousId: null });
  ev.context.groupId = account;
  ev.context.traits = { email: `${user}@${account}.example` };
  return ev;
};
const customerOfGroup = async (group: string) =>
  (await env.DB.prepare(`SELECT customer_id FROM identities WHERE kind = 'segment_group' AND value = ?`).bind(group).first<{ customer_id: string }>())?.customer_id;
const processedTo = async (id: string) => (await env.DB.prepare(`SELECT status, customer_id FROM inbox_events WHERE id = ?`).bind(`segment:${id}`).first<{ status: string; customer_id: string }>())!;

describe("a user of two accounts", () => {
  it("makes each Segment group its own customer, and applies each account's usage to it", async () => {
    await send(group("two-g1", "two-solo", "two-u0"));
    await drain();
    // The same user joins two more accounts (an agency, a consultant): each group call names a new account id.
    await send(group("two-g2", "two-many-1", "two-u0"));
    await send(group("two-g3", "two-many-2", "two-u0"));
    await drain();
    await send(track("two-t1", "two-many-1", "two-u5"));
    await send(track("two-t2", "two-many-2", "two-u0"));
    await drain();
    const [solo, one, two] = await Promise.all(["two-solo", "two-many-1", "two-many-2"].map(customerOfGroup));
    expect(new Set([solo, one, two]).size).toBe(3);
    expect(await processedTo("two-t1")).toEqual({ status: "processed", customer_id: one });
    expect(await processedTo("two-t2")).toEqual({ status: "processed", customer_id: two });
    // The person stays with the account that first knew them.
    const contact = await env.DB.prepare(`SELECT customer_id FROM contacts WHERE id = 'segment:two-u0'`).first<{ customer_id: string }>();
    expect(contact?.customer_id).toBe(solo);
  });
});
