import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ownersPageAction } from "../../src/core/actions";
import { T0, alert, useOutbox } from "./harness";

const owner = (id: string) => env.DB.prepare(`SELECT name, email, updated_at FROM owners WHERE id = ?`).bind(id).first<{ name: string | null; email: string | null; updated_at: number }>();

describe("owner names from the Slack alert's owner lookup", () => {
  const h = useOutbox();

  it("stores the HubSpot owner's name and email, and still mentions them", async () => {
    const { fakes, insert, deliver } = h();
    fakes.hubspot.owners.set("71002", { email: "dana@example.com", firstName: "Dana", lastName: "Scully" });
    fakes.slack.users.set("dana@example.com", "U0DANA");
    await insert([alert("named", { hubspotOwnerId: "71002" })]);
    await deliver("slack");
    expect(await owner("71002")).toEqual({ name: "Dana Scully", email: "dana@example.com", updated_at: T0 });
    expect(JSON.stringify(fakes.slack.messages[0])).toContain("U0DANA");
  });

  it("stores an owner without a name as unnamed, and nothing for an owner HubSpot does not know", async () => {
    const { fakes, insert, deliver } = h();
    fakes.hubspot.owners.set("71003", { email: "nameless@example.com" });
    await insert([alert("nameless", { hubspotOwnerId: "71003" }), alert("unknown", { hubspotOwnerId: "71004" })]);
    await deliver("slack");
    expect(await owner("71003")).toMatchObject({ name: null, email: "nameless@example.com" });
    expect(await owner("71004")).toBeNull();
  });
});

describe("the daily owners sync: every HubSpot owner, page by page", () => {
  const h = useOutbox();
  const pages = async () =>
    (await env.DB.prepare(`SELECT id, status, result FROM outbox WHERE type = 'hubspot.owners_page' ORDER BY created_at, id`).all<{ id: string; status: string; result: string }>()).results;

  it("stores 250 owners over three pages of 100, lower-casing emails, each page planning the next in its own commit", async () => {
    const { fakes, insert, deliver, deps } = h();
    for (let i = 0; i < 250; i++) fakes.hubspot.owners.set(String(80_000 + i), { email: `Owner.${i}@Acme.Example`, firstName: `First${i}`, lastName: "Last" });
    const sent: string[] = [];
    deps.send = async (ids) => void sent.push(...ids);
    await insert([ownersPageAction("2026-11-02", null)]);
    // Each delivery handles the page that is due; the page it plans is due at once.
    for (let i = 0; i < 5 && (await deliver("hubspot")) > 0; i++);
    const rows = await pages();
    expect(rows.map((r) => r.status)).toEqual(["delivered", "delivered", "delivered"]);
    expect(rows.map((r) => JSON.parse(r.result).owners).sort()).toEqual([100, 100, 50].sort());
    const first = ownersPageAction("2026-11-02", null).id;
    expect(sent.sort()).toEqual(rows.map((r) => r.id).filter((id) => id !== first).sort());
    const listed = fakes.hubspot.requests.filter((r) => r.path.startsWith("/crm/v3/owners?"));
    expect(listed).toHaveLength(3);
    const stored = await env.DB.prepare(`SELECT COUNT(*) AS n, SUM(email = lower(email)) AS lower FROM owners WHERE id >= '80000' AND id < '80250'`).first<{ n: number; lower: number }>();
    expect(stored).toEqual({ n: 250, lower: 250 });
    expect(await owner("80249")).toMatchObject({ name: "First249 Last", email: "owner.249@acme.example" });
  });

  it("a 429 is retried on the outbox's schedule; the same day's sync planned again sends nothing", async () => {
    const { fakes, insert, deliver, row, clock } = h();
    fakes.hubspot.owners.set("90001", { email: "solo@acme.example", firstName: "Solo" });
    fakes.hubspot.faults.failNext(1, 429);
    const first = ownersPageAction("2026-11-03", null);
    await insert([first]);
    await deliver("hubspot");
    const waiting = await row(first.id);
    expect(waiting).toMatchObject({ status: "pending", attempts: 1 });
    clock.advance(waiting.next_attempt_at - clock.t);
    await deliver("hubspot");
    expect((await row(first.id)).status).toBe("delivered");
    await insert([ownersPageAction("2026-11-03", null)]);
    expect(await deliver("hubspot")).toBe(0);
    expect(fakes.hubspot.requests.filter((r) => r.path.startsWith("/crm/v3/owners?") && r.status === 200)).toHaveLength(1);
    expect(await owner("90001")).toMatchObject({ name: "Solo", email: "solo@acme.example" });
  });
});
