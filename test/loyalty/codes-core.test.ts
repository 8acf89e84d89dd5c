import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stages } from "../../src/core/lifecycle";
import { referralRulesSchema } from "../../src/core/rewards/config";
import { PAYING_STAGES, buildReferralCode, codeEligible } from "../../src/core/rewards/codes";

const id = fc.string({ minLength: 1, maxLength: 60 });
const stage = fc.option(fc.constantFrom(...stages, "unknown"), { nil: null });

describe("default referral codes (pure)", () => {
  it("the same customer always gets the same code and action id; the code has the prefix and only code characters", () => {
    fc.assert(
      fc.property(id, fc.stringMatching(/^[A-Z0-9-]{0,12}$/), (customerId, codePrefix) => {
        const rules = referralRulesSchema.parse({ codePrefix });
        const a = buildReferralCode(customerId, rules);
        expect(buildReferralCode(customerId, rules)).toEqual(a);
        expect(a.code.startsWith(codePrefix)).toBe(true);
        expect(a.code).toMatch(/^[A-Z0-9-]+$/);
        expect(a.action).toMatchObject({ id: `referral.code:${customerId}`, customerId, payload: { type: "stripe.promotion_code", code: a.code, coupon: rules.coupon } });
      }),
    );
  });

  it("'paying' means purchase to loyalty; 'all' means every customer not churned; a disabled program gives none", () => {
    fc.assert(
      fc.property(stage, (s) => {
        expect(codeEligible(referralRulesSchema.parse({}), s)).toBe(PAYING_STAGES.includes(s ?? ""));
        expect(codeEligible(referralRulesSchema.parse({ eligible: "all" }), s)).toBe(s !== "churned");
        expect(codeEligible(referralRulesSchema.parse({ enabled: false, eligible: "all" }), s)).toBe(false);
      }),
    );
    expect(codeEligible(referralRulesSchema.parse({}), "churned")).toBe(false);
  });

  it("eligible and linkBase are validated", () => {
    expect(referralRulesSchema.safeParse({ eligible: "some" }).success).toBe(false);
    expect(referralRulesSchema.safeParse({ linkBase: "javascript:alert(1)" }).success).toBe(false);
    expect(referralRulesSchema.parse({ linkBase: "https://t.example.com/" }).linkBase).toBe("https://t.example.com");
  });
});
