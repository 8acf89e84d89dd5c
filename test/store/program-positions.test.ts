import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { programPositions } from "../../src/store/loyalty";

const NOW = Date.parse("2026-12-07T10:00:00Z");

async function referral(referred: string, referrer: string, status: string, releaseAt: number | null = null) {
  await env.DB.prepare(
    `INSERT INTO referrals (referred_id, referrer_id, code, source, status, attributed_at, reward_amount, currency, release_at, version, write_token, updated_at)
     VALUES (?, ?, 'FRIEND10', 'promotion_code', ?, ?, 2500, 'usd', ?, 1, 'w', ?)`,
  )
    .bind(referred, referrer, status, NOW - 86_400_000, releaseAt, NOW)
    .run();
}

describe("programPositions", () => {
  it("reads each customer's referral, open payouts (in referred-id order), paid count, badges and whether it holds a code in one statement", async () => {
    await referral("pp_c", "pp_ref", "held");
    await referral("pp_a", "pp_ref", "pending", NOW - 1000);
    await referral("pp_b", "pp_ref", "pending", NOW + 86_400_000); // still held back: not open yet
    await referral("pp_d", "pp_ref", "paid");
    await referral("pp_e", "pp_ref", "paid");
    await referral("pp_ref", "pp_other", "attributed");
    await env.DB.prepare(`INSERT INTO loyalty_ledger (id, customer_id, entry, kind, rules_version, at) VALUES ('pp-badge', 'pp_ref', 'badge.awarded', 'first_referral', 'v1', ?)`).bind(NOW).run();

    await env.DB.prepare(`INSERT INTO referral_codes (code, referrer_id, action_id, created_at) VALUES ('PPREF', 'pp_ref', 'act-pp', ?)`).bind(NOW).run();

    const positions = await programPositions(env.DB, ["pp_ref", "pp_a", "pp_none"], NOW);
    const ref = positions.get("pp_ref")!;
    expect(ref.open.map((r) => r.referredId)).toEqual(["pp_a", "pp_c"]);
    expect(ref.open[0]).toMatchObject({ referrerId: "pp_ref", status: "pending", rewardAmount: 2500, currency: "usd", code: "FRIEND10", version: 1 });
    expect(ref.paid).toBe(2);
    expect(ref.badges).toEqual(["first_referral"]);
    expect(ref.hasCode).toBe(true);
    expect(positions.get("pp_a")!.hasCode).toBe(false);
    expect(ref.asReferred).toMatchObject({ referredId: "pp_ref", referrerId: "pp_other", status: "attributed" });
    expect(positions.get("pp_a")!.asReferred).toMatchObject({ referredId: "pp_a", referrerId: "pp_ref", releaseAt: NOW - 1000 });
    // pp_b's reward falls due tomorrow: until then the position holds without any write.
    expect(ref.validUntil).toBe(NOW + 86_400_000);
    expect(positions.get("pp_a")!.validUntil).toBeNull();
    expect(positions.get("pp_none")).toEqual({ asReferred: null, open: [], paid: 0, badges: [], hasCode: false, seq: null, validUntil: null });
  });

  it("reads each customer's loyalty_seq, which every write to its referrals, badges and codes moves", async () => {
    await env.DB.prepare(
      `INSERT INTO customers (id, state, version, alerts, created_at, updated_at) VALUES ('pp_seq', '{}', 1, '{}', ?1, ?1), ('pp_seq_friend', '{}', 1, '{}', ?1, ?1)`,
    )
      .bind(NOW)
      .run();
    const seq = async (id = "pp_seq") => (await programPositions(env.DB, [id], NOW)).get(id)!.seq;
    expect(await seq()).toBe(0);
    await referral("pp_seq_friend", "pp_seq", "attributed");
    expect([await seq(), await seq("pp_seq_friend")]).toEqual([1, 1]);
    await env.DB.prepare(`UPDATE referrals SET status = 'paid' WHERE referred_id = 'pp_seq_friend'`).run();
    expect([await seq(), await seq("pp_seq_friend")]).toEqual([2, 2]);
    await env.DB.prepare(`INSERT INTO loyalty_ledger (id, customer_id, entry, kind, rules_version, at) VALUES ('pp-seq-badge', 'pp_seq', 'badge.awarded', 'first_referral', 'v1', ?)`).bind(NOW).run();
    expect(await seq()).toBe(3);
    // Points are not part of the position: they leave it alone.
    await env.DB.prepare(`INSERT INTO loyalty_ledger (id, customer_id, entry, kind, points, rules_version, at) VALUES ('pp-seq-pts', 'pp_seq', 'points.earned', 'login', 5, 'v1', ?)`).bind(NOW).run();
    expect(await seq()).toBe(3);
    await env.DB.prepare(`INSERT INTO referral_codes (code, referrer_id, action_id, created_at) VALUES ('PPSEQ', 'pp_seq', 'act-pp-seq', ?)`).bind(NOW).run();
    expect(await seq()).toBe(4);
    await env.DB.prepare(`DELETE FROM referrals WHERE referred_id = 'pp_seq_friend'`).run();
    expect([await seq(), await seq("pp_seq_friend")]).toEqual([5, 3]);
    expect((await programPositions(env.DB, ["pp_seq"], NOW)).get("pp_seq")).toMatchObject({ hasCode: true, badges: ["first_referral"], paid: 0 });
  });
});
