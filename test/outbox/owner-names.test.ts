import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
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
