import { SELF } from "cloudflare:test";
import { expect, it } from "vitest";
import frontDeclaration from "../../plugins/front.json";
import { parseSourceDeclaration } from "../../src/plugins/schema";
import { declaredSource } from "../../src/plugins/source";
import { ADMIN } from "../support/drain";
import { editedFixture, fixturesOf } from "../support/fixtures";
import { runSourceContract } from "../webhooks/contract";
import { FRONT_SECRET, signFront } from "./sign";

/**
 * A source stored through POST /api/plugins (not a file, not bundled) passes the same contract suite as the
 * built-in and bundled ones, through the real route: Front's format under the name `helpdesk-eu`.
 */

const definition = { ...JSON.parse(JSON.stringify(frontDeclaration)), name: "helpdesk-eu", version: 1 };
const stored = await SELF.fetch("https://tenure.example.com/api/plugins", {
  method: "POST",
  headers: { ...ADMIN, "content-type": "application/json" },
  body: JSON.stringify({ definition }),
});
const parsed = parseSourceDeclaration(definition);
if (!parsed.ok) throw new Error(parsed.error.message);

it("was stored and activated", async () => {
  expect(stored.status).toBe(201);
  expect(await stored.json()).toMatchObject({ name: "helpdesk-eu", active: true });
});

runSourceContract({
  source: declaredSource(parsed.declaration),
  secret: FRONT_SECRET,
  fixtures: fixturesOf("front"),
  sign(body, { now }) {
    return signFront(this.secret, body, now);
  },
  timestamped: true,
  signatureHeaders: ["X-Front-Signature", "X-Front-Request-Timestamp"],
  unknownTypeBody: JSON.stringify({ type: "sync", authorization: { id: "cmp_eu" } }),
  malformedBody: editedFixture("front", "inbound_received", (j) => {
    j.payload.id = { nested: true };
  }),
  datedBody: (at) =>
    editedFixture("front", "inbound_received", (j) => {
      j.payload.emitted_at = at / 1000;
      j.payload.id = `evt_dated_${at}`;
    }),
});
