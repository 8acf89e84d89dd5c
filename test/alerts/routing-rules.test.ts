import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { alertRoutes, describeDelivery, routeKey } from "../../src/core/alert-routing";
import { alertRoutingSchema } from "../../src/core/config";
import { tenureConfig } from "../../src/config";

const routing = (o: object) => alertRoutingSchema.parse(o);

describe("alertRoutes", () => {
  it("orders owner channel, owner DM, segment channel, fallback", () => {
    const r = routing({ mode: "dm", owners: { "71002": "C0OWNER" }, segments: { enterprise: "C0ENT" } });
    expect(alertRoutes({ hubspotOwnerId: "71002", ownerEmail: "ana@acme.test", segments: ["enterprise"] }, r, "C0ALERTS")).toEqual([
      { kind: "owner_channel", channel: "C0OWNER" },
      { kind: "owner_dm", email: "ana@acme.test" },
      { kind: "segment_channel", channel: "C0ENT" },
      { kind: "fallback", channel: "C0ALERTS" },
    ]);
    expect(alertRoutes({ ownerEmail: "ana@acme.test" }, routing({ mode: "channel" }), "C0ALERTS")).toEqual([{ kind: "fallback", channel: "C0ALERTS" }]);
  });

  it("always ends with the fallback channel, never lists a routed target twice, and is the same for the same input", () => {
    const channel = fc.constantFrom("C1", "C2", "C3");
    const arb = fc.record({
      mode: fc.constantFrom("channel", "dm"),
      owners: fc.dictionary(fc.constantFrom("1", "2", "a@x.test"), channel),
      segments: fc.dictionary(fc.constantFrom("vip", "smb", "trial"), channel),
      fallback: channel,
      alert: fc.record({ hubspotOwnerId: fc.option(fc.constantFrom("1", "2", "3"), { nil: undefined }), ownerEmail: fc.option(fc.constantFrom("a@x.test", "A@X.test", "b@x.test"), { nil: undefined }), segments: fc.array(fc.constantFrom("vip", "smb", "trial")) }),
    });
    fc.assert(
      fc.property(arb, ({ mode, owners, segments, fallback, alert }) => {
        const r = routing({ mode, owners, segments });
        const targets = alertRoutes(alert, r, fallback);
        const last = targets.at(-1)!;
        expect(last).toEqual({ kind: "fallback", channel: fallback });
        expect(new Set(targets.slice(0, -1).map(routeKey)).size).toBe(targets.length - 1);
        expect(targets.some((t) => t.kind === "owner_dm")).toBe(mode === "dm" && alert.ownerEmail !== undefined);
        expect(alertRoutes(alert, r, fallback)).toEqual(targets);
      }),
    );
  });
});

describe("routing and digest in TENURE_CONFIG", () => {
  it("defaults to one channel and no digest", () => {
    expect(tenureConfig(undefined).alerts.routing).toEqual({ mode: "channel", owners: {}, segments: {} });
    expect(tenureConfig(undefined).alerts.digest).toEqual({ enabled: false, hourUtc: 8 });
  });

  it("takes a routing map and a digest hour, keeping the other alert rules", () => {
    const cfg = tenureConfig(JSON.stringify({ alerts: { cooldownHours: 24, routing: { mode: "dm", owners: { "71002": "C0OWNER" }, fallbackChannel: "C0CS" }, digest: { enabled: true, hourUtc: 7 } } }));
    expect(cfg.alerts.cooldownHours).toBe(24);
    expect(cfg.alerts.routing).toEqual({ mode: "dm", owners: { "71002": "C0OWNER" }, segments: {}, fallbackChannel: "C0CS" });
    expect(cfg.alerts.digest).toEqual({ enabled: true, hourUtc: 7 });
  });

  it("refuses a bad value with the path that is wrong", () => {
    expect(() => tenureConfig(JSON.stringify({ alerts: { routing: { mode: "email" } } }))).toThrow(/TENURE_CONFIG: alerts\.routing\.mode/);
    expect(() => tenureConfig(JSON.stringify({ alerts: { routing: { owners: { "71002": "" } } } }))).toThrow(/TENURE_CONFIG: alerts\.routing\.owners/);
    expect(() => tenureConfig(JSON.stringify({ alerts: { routing: { channel: "C1" } } }))).toThrow(/TENURE_CONFIG: alerts\.routing/);
    expect(() => tenureConfig(JSON.stringify({ alerts: { digest: { enabled: true, hourUtc: 24 } } }))).toThrow(/TENURE_CONFIG: alerts\.digest\.hourUtc/);
  });
});

describe("describeDelivery", () => {
  it("says where a stored result went, and why when it fell back", () => {
    expect(describeDelivery({ channel: "C0ALERTS", ts: "1.2" })).toBe("to C0ALERTS");
    expect(describeDelivery({ channel: "D0ANA", ts: "1.2", route: "owner_dm" })).toBe("to D0ANA (owner's DM)");
    expect(describeDelivery({ channel: "C0ALERTS", ts: "1.2", route: "fallback", fallbackFrom: { route: "owner_channel", target: "C0GONE", error: "channel_not_found" } })).toBe(
      "to C0ALERTS (fallback channel after the owner's channel (C0GONE) failed: channel_not_found)",
    );
    expect(describeDelivery({ heldFor: "digest" })).toBe("held for the daily digest");
    expect(describeDelivery({ heldFor: "digest", digest: "slack.digest:2026-12-01:x" })).toBe("in the daily digest");
    expect(describeDelivery(null)).toBeNull();
    expect(describeDelivery({ unchanged: true })).toBeNull();
  });
});
