import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ERASED, emptyPersonIds, learnFromEvent, mentions, personOwns, scrubEvents, scrubValue, seedPersonIds, type PersonIds } from "../../src/core/erasure";
import { scrubState } from "../../src/core/erasure-state";
import type { NormalizedEvent } from "../../src/core/events";
import { applyEvents } from "../../src/core/reduce";
import { hash32 } from "../../src/core/sketch";
import { emptyState } from "../../src/core/state";

const T = Date.UTC(2026, 10, 20);

function zoe(): PersonIds {
  const ids = seedPersonIds({ id: "hubspot:551", email: "zoë.ops@erase.example", name: "Zoë Ångström" });
  ids.userIds.push("Zoë.Ops@Erase.example");
  ids.pseudonyms["Zoë.Ops@Erase.example"] = "erased:0123456789abcdef";
  return ids;
}

describe("erasure, pure", () => {
  it("matches an email or a full name in any case, non-ASCII letters included, and single names only in their own facts", () => {
    const ids = zoe();
    expect(mentions("Ticket from ZOË.OPS@ERASE.EXAMPLE", ids, false)).toBe(true);
    expect(mentions("zoë ångström called", ids, false)).toBe(true);
    expect(mentions("ZOË ÅNGSTRÖM", ids, false)).toBe(true);
    expect(mentions("Exports time out for Zoë", ids, false)).toBe(false);
    expect(mentions("Exports time out for Zoë", ids, true)).toBe(true);
    // A name inside a longer word is not the name.
    expect(mentions("Zoëtrope Inc", ids, true)).toBe(false);
    expect(mentions("segment:ZOË.OPS@erase.example", ids, false)).toBe(true);
  });

  it("scrubs a payload however it spells them: escaped, upper-cased, as a key", () => {
    const ids = zoe();
    const raw = JSON.parse('{"author":{"email":"Zo\\u00cb.OPS@Erase.Example","name":"Zo\\u00eb \\u00c5ngstr\\u00f6m"},"by":{"zoë.ops@erase.example":1},"n":3}');
    const r = scrubValue(raw, ids, false);
    expect(r.changed).toBe(true);
    expect(r.value).toEqual({ author: { email: ERASED, name: ERASED }, by: { [ERASED]: 1 }, n: 3 });
  });

  it("a fact of theirs loses every person field; a company's name and their role stay", () => {
    const ids = zoe();
    const events: NormalizedEvent[] = [
      { id: "segment:m1", source: "segment", occurredAt: T, type: "user.identified", subject: { userId: "Zoë.Ops@Erase.example", email: "zoë.ops@erase.example", domain: "erase.example" }, userId: "Zoë.Ops@Erase.example", email: "zoë.ops@erase.example", name: "Zoë Ångström", role: "admin" },
      { id: "segment:m2", source: "segment", occurredAt: T, type: "account.grouped", subject: { segmentGroupId: "g1", userId: "ZOË.OPS@ERASE.EXAMPLE", name: "Erase Co" }, groupId: "g1", userId: "ZOË.OPS@ERASE.EXAMPLE", name: "Erase Co" },
      { id: "hubspot:1", source: "hubspot", occurredAt: T, type: "contact.changed", subject: { hubspotContactId: "551" }, contactId: "551", properties: { date_of_birth: "1988-04-12", jobtitle: "VP Ops" }, role: "VP Ops" },
    ];
    expect(events.every((e) => personOwns(e, ids))).toBe(true);
    const out = scrubEvents(events, ids);
    expect(out.own).toBe(true);
    expect(out.events[0]).toMatchObject({ userId: "erased:0123456789abcdef", email: ERASED, name: ERASED, role: "admin", subject: { userId: "erased:0123456789abcdef", email: ERASED, domain: "erase.example" } });
    // An unseen spelling of their user id has no pseudonym of its own: it goes as "[erased]".
    expect(out.events[1]).toMatchObject({ userId: ERASED, name: "Erase Co", subject: { name: "Erase Co" } });
    expect(out.events[2]).toMatchObject({ properties: { date_of_birth: ERASED, jobtitle: "VP Ops" }, role: "VP Ops" });
  });

  it("learns a person's names and values from their HubSpot properties, and their user id from a Segment fact", () => {
    const ids = seedPersonIds({ id: "hubspot:551" });
    learnFromEvent({ id: "hubspot:2", source: "hubspot", occurredAt: T, type: "contact.changed", subject: { hubspotContactId: "551" }, contactId: "551", properties: { firstname: "Dana", lastname: "Ostrowska", email: "Dana.Ops@Erase.example" } }, ids, "cu_1");
    expect(ids).toMatchObject({ emails: ["dana.ops@erase.example"], names: ["dana", "ostrowska"], fullNames: ["dana ostrowska"], customerIds: ["cu_1"] });
    learnFromEvent({ id: "segment:m3", source: "segment", occurredAt: T, type: "usage.tracked", subject: { userId: "u_77" }, userId: "u_77", event: "x" }, ids, null);
    expect(ids.userIds).toEqual(["u_77"]);
  });

  it("moving their user ids to pseudonyms keeps every distinct-user count and role of the state", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 40 }), fc.nat(), (users, pick) => {
        const theirs = users[pick % users.length]!;
        const events: NormalizedEvent[] = users.flatMap((u, i): NormalizedEvent[] => [
          { id: `segment:t${i}`, source: "segment", occurredAt: T + i, type: "usage.tracked", subject: { userId: u }, userId: u, event: "Report" },
          { id: `segment:i${i}`, source: "segment", occurredAt: T + i, type: "user.identified", subject: { userId: u }, userId: u, role: i % 2 ? "admin" : "member" },
        ]);
        const state = applyEvents(emptyState(), events);
        const ids = emptyPersonIds();
        ids.userIds.push(theirs);
        ids.pseudonyms[theirs] = `erased:${hash32(theirs).toString(16)}`;
        const out = scrubState(state, ids, true).state;
        expect(Object.values(out.usage.roles).map((r) => r.role).sort()).toEqual(Object.values(state.usage.roles).map((r) => r.role).sort());
        expect(Object.keys(out.usage.roles)).not.toContain(hash32(theirs).toString(36));
        const before = state.usage.known!;
        const after = out.usage.known!;
        if ("h" in before && "h" in after) {
          expect(after.h).toHaveLength(before.h.length);
          expect(after.h).not.toContain(hash32(theirs));
        } else expect(after).toEqual(before); // a dense sketch holds registers, not hashes: left as it is
      }),
      { numRuns: 200 },
    );
  });
});
