import type { FC } from "hono/jsx";
import type { CatalogueItem } from "../core/rewards/config";
import type { loyaltyOverview } from "../store/loyalty-dashboard";
import type { AuditRow, Funnels } from "../store/loyalty-manage";
import { CsrfField, Layout, dateTime, money, type Notice } from "./layout";

type Overview = Awaited<ReturnType<typeof loyaltyOverview>>;

/** The program manager's part of the page; null while its tables are missing. */
export interface ManagerView {
  funnels: Funnels;
  audit: AuditRow[];
  /** Admins see the forms; viewers see the numbers and the audit. */
  canAct: boolean;
  /** One per page view: a form posted twice (a double click, a reload) acts once. */
  requestId: string;
  catalogue: CatalogueItem[];
}

const who = (id: string, name: string | null) => <a href={`/customers/${encodeURIComponent(id)}`}>{name ?? id}</a>;
const pct = (n: number, of: number) => (of > 0 ? `${Math.round((n / of) * 100)} %` : "");

const FunnelTable: FC<{ funnels: Funnels }> = ({ funnels }) => {
  const f = funnels.referral;
  // Each share is of the population the step is drawn from. Sign-ups come by link or by a code typed at checkout,
  // so they are not a share of the clicks.
  const steps: [string, number, string | null][] = [
    ["Enrolled members", f.enrolled, null],
    ["Enrolled members with a referral code", f.withCode, pct(f.withCode, f.enrolled) && `${pct(f.withCode, f.enrolled)} of enrolled`],
    ["Referral link clicks", f.clicks, null],
    ["Referred sign-ups (by link or code)", f.signups, null],
    ["Rewarded referrals", f.rewarded, pct(f.rewarded, f.signups) && `${pct(f.rewarded, f.signups)} of sign-ups`],
  ];
  return (
    <>
      <table>
        <thead><tr><th>Referral funnel</th><th class="num">Count</th><th class="num">Share</th></tr></thead>
        <tbody>{steps.map(([label, n, share]) => <tr><td>{label}</td><td class="num">{n}</td><td class="num">{share ?? ""}</td></tr>)}</tbody>
      </table>
      <h3>Redemptions per reward</h3>
      <table>
        <thead><tr><th>Reward</th><th class="num">Redemptions</th><th class="num">Points spent</th></tr></thead>
        <tbody>
          {funnels.redemptions.length === 0 ? <tr><td colspan={3} class="muted">No redemptions yet.</td></tr> : null}
          {funnels.redemptions.map((r) => <tr><td>{r.rewardId}</td><td class="num">{r.count}</td><td class="num">{r.points}</td></tr>)}
        </tbody>
      </table>
    </>
  );
};

const ManagerForms: FC<{ csrf: string; m: ManagerView }> = ({ csrf, m }) => (
  <>
    <h2>Adjust a balance</h2>
    <form method="post" action="/loyalty/adjust">
      <CsrfField csrf={csrf} />
      <input type="hidden" name="requestId" value={`adj-${m.requestId}`} />
      <label>Customer id <input name="customer" required maxlength={200} placeholder="cu_…" /></label>{" "}
      <label>Points <input name="points" required inputmode="numeric" pattern="[+\-]?[0-9]{1,7}" placeholder="-100 or 250" /></label>{" "}
      <label>Reason <input name="reason" required maxlength={500} /></label>{" "}
      <button type="submit">Adjust</button>
      <p class="muted">A negative adjustment never takes the balance below zero.</p>
    </form>
    <h2>Redeem on a member's behalf</h2>
    <form method="post" action="/loyalty/redeem">
      <CsrfField csrf={csrf} />
      <input type="hidden" name="requestId" value={`red-${m.requestId}`} />
      <label>Customer id <input name="customer" required maxlength={200} placeholder="cu_…" /></label>{" "}
      <label>Reward <select name="reward">{m.catalogue.map((r) => <option value={r.id}>{`${r.name} (${r.points} points)`}</option>)}</select></label>{" "}
      <button type="submit">Redeem</button>
    </form>
  </>
);

const AuditTable: FC<{ audit: AuditRow[] }> = ({ audit }) => (
  <table>
    <thead><tr><th>When</th><th>Who</th><th>Action</th><th>Customer</th><th class="num">Points</th><th>Detail</th></tr></thead>
    <tbody>
      {audit.length === 0 ? <tr><td colspan={6} class="muted">Nothing yet.</td></tr> : null}
      {audit.map((a) => <tr><td>{dateTime(a.at)}</td><td>{a.actor}</td><td>{a.kind}</td><td>{who(a.customerId, a.name)}</td><td class="num">{a.points}</td><td>{a.detail ?? ""}</td></tr>)}
    </tbody>
  </table>
);

export const LoyaltyPage: FC<{ csrf: string; notice?: Notice | null; data: Overview; manager?: ManagerView | null }> = ({ csrf, notice, data, manager }) => (
  <Layout title="Loyalty" path="/loyalty" csrf={csrf} notice={notice}>
    {data === null ? (
      <p class="muted">The loyalty program's tables do not exist yet: apply the loyalty migration to see the leaderboard, referrals and ledger.</p>
    ) : (
      <>
        <p>{data.members} members enrolled.</p>
        {manager ? (
          <>
            <h2>Funnels</h2>
            <FunnelTable funnels={manager.funnels} />
            {manager.canAct ? <ManagerForms csrf={csrf} m={manager} /> : null}
            <h2>Program manager audit</h2>
            <AuditTable audit={manager.audit} />
          </>
        ) : null}
        <h2>Leaderboard</h2>
        <table>
          <thead><tr><th>#</th><th>Customer</th><th class="num">Points earned</th><th class="num">Balance</th></tr></thead>
          <tbody>
            {data.leaderboard.map((r, i) => <tr><td>{i + 1}</td><td>{who(r.customerId, r.name)}</td><td class="num">{r.earned}</td><td class="num">{r.balance}</td></tr>)}
          </tbody>
        </table>
        <h2>Referrals</h2>
        <table>
          <thead><tr><th>Attributed</th><th>Referrer</th><th>Referred</th><th>Source</th><th>Status</th><th class="num">Reward</th></tr></thead>
          <tbody>
            {data.referrals.map((r) => (
              <tr><td>{dateTime(r.attributedAt)}</td><td>{who(r.referrerId, r.referrerName)}</td><td>{who(r.referredId, r.referredName)}</td><td>{r.source}</td><td>{r.status}</td><td class="num">{r.rewardAmount === null ? "" : money(r.rewardAmount, r.currency)}</td></tr>
            ))}
          </tbody>
        </table>
        <h2>Ledger</h2>
        <table>
          <thead><tr><th>When</th><th>Customer</th><th>Entry</th><th>Kind</th><th class="num">Points</th><th class="num">Credit</th><th>Reason</th></tr></thead>
          <tbody>
            {data.ledger.map((l) => (
              <tr><td>{dateTime(l.at)}</td><td>{who(l.customerId, l.name)}</td><td>{l.entry}</td><td>{l.kind ?? ""}</td><td class="num">{l.points}</td><td class="num">{l.amount === null ? "" : money(l.amount, l.currency)}</td><td>{l.reason ?? ""}</td></tr>
            ))}
          </tbody>
        </table>
      </>
    )}
  </Layout>
);
