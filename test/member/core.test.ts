import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  accountClaimNames,
  buildBadges,
  buildWaysToEarn,
  checkMemberClaims,
  chooseReward,
  MEMBER_TOKEN_MAX_SECONDS,
  normalizeCode,
  referralLanding,
  referralLink,
  rewardsFor,
} from "../../src/core/member";
import { badgeNames, defaultRewardRules, rewardRulesSchema } from "../../src/core/rewards";

/** Laws of the member core (pure): token lifetime and account claims, links, catalogue choice, badge progress. */

const now = 1_800_000_000;
const value = fc.string({ minLength: 1, maxLength: 40 });
const accountClaims = fc.subarray([...accountClaimNames]).chain((names) => fc.tuple(fc.constant(names), fc.array(value, { minLength: names.length, maxLength: names.length })));

describe("checkMemberClaims", () => {
  it("accepts exactly one account claim, and never a token living more than 24 h", () => {
    fc.assert(
      fc.property(accountClaims, fc.integer({ min: -10 * 86_400, max: 10 * 86_400 }), ([names, values], ahead) => {
        const claims = { sub: "u", exp: now + ahead, ...Object.fromEntries(names.map((n, i) => [n, values[i]])) };
        const r = checkMemberClaims(claims, now);
        if (ahead > MEMBER_TOKEN_MAX_SECONDS) expect(r).toEqual({ ok: false, reason: "too_long_lived" });
        else if (names.length === 1) expect(r).toEqual({ ok: true, account: { name: names[0], value: values[0] } });
        else expect(r.ok).toBe(false);
      }),
    );
  });
});

describe("referral links", () => {
  it("normalizeCode is idempotent and yields only code characters", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (raw) => {
        const code = normalizeCode(raw);
        if (code === null) return;
        expect(code).toMatch(/^[A-Z0-9-]{1,40}$/);
        expect(normalizeCode(code)).toBe(code);
      }),
    );
  });

  it("the landing keeps the configured page and its parameters, and carries the code in ref and client_reference_id only", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Z0-9-]{1,40}$/), fc.webPath(), fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.string({ maxLength: 10 })), (code, path, params) => {
        const landing = new URL(`https://app.example.com${path.startsWith("/") ? path : `/${path}`}`);
        for (const [k, v] of Object.entries(params)) landing.searchParams.set(k, v);
        const to = new URL(referralLanding(landing.toString(), code));
        expect(to.origin + to.pathname).toBe(landing.origin + landing.pathname);
        expect(to.searchParams.get("ref")).toBe(code);
        expect(to.searchParams.get("client_reference_id")).toBe(code);
        for (const [k, v] of Object.entries(params)) if (k !== "ref") expect(to.searchParams.get(k)).toBe(v);
        expect(referralLink("https://t.example/", code)).toBe(`https://t.example/r/${code}`);
      }),
    );
  });
});

describe("the catalogue", () => {
  const currencies = fc.constantFrom("usd", "eur", "gbp", "jpy", null);
  it("offers and grants only rewards in the account's currency", () => {
    fc.assert(
      fc.property(currencies, fc.constantFrom(...defaultRewardRules.catalogue.map((r) => r.id), "nope"), (currency, id) => {
        for (const r of rewardsFor(currency, defaultRewardRules)) if (currency) expect(r.credit.currency).toBe(currency);
        const choice = chooseReward(id, currency, defaultRewardRules);
        if (choice.ok) expect(choice.item.credit.currency).toBe(currency);
        if (id === "nope") expect(choice).toMatchObject({ ok: false, status: 404 });
      }),
    );
  });

  it("refuses duplicate catalogue ids in TENURE_CONFIG", () => {
    const item = { id: "a", name: "A", points: 1, credit: { amount: 1, currency: "usd" } };
    expect(rewardRulesSchema.safeParse({ catalogue: [item, item] }).success).toBe(false);
    expect(rewardRulesSchema.parse({ catalogue: [item] }).catalogue).toEqual([item]);
  });
});

describe("badges and ways to earn", () => {
  it("progress never exceeds its target, and an earned badge shows it reached", () => {
    fc.assert(
      fc.property(fc.subarray([...badgeNames]), fc.nat(50), (held, paid) => {
        const badges = buildBadges(held, paid);
        expect(badges.map((b) => b.id)).toEqual([...badgeNames]);
        for (const b of badges) {
          expect(b.earned).toBe(held.includes(b.id));
          if (b.progress) {
            expect(b.progress.current).toBeLessThanOrEqual(b.progress.target);
            if (b.earned) expect(b.progress.current).toBe(b.progress.target);
          }
        }
      }),
    );
  });

  it("lists every earn rule with points, most valuable first, claims linked to their kinds", () => {
    const ways = buildWaysToEarn(defaultRewardRules);
    expect(ways.map((w) => w.kind).sort()).toEqual(Object.keys(defaultRewardRules.points.earn).sort());
    expect(ways.map((w) => w.points)).toEqual([...ways.map((w) => w.points)].sort((a, b) => b - a));
    expect(ways.filter((w) => w.claim).map((w) => [w.kind, w.claim])).toEqual([["review_submitted", "review"], ["social_share", "social_share"]]);
  });
});
