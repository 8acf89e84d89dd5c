import type { FC } from "hono/jsx";
import type { loyaltyOverview } from "../store/loyalty-dashboard";
import { Layout, dateTime, money, type Notice } from "./layout";

type Overview = Awaited<ReturnType<typeof loyaltyOverview>>;

const who = (id: string, name: string | null) => <a href={`/customers/${encodeURIComponent(id)}`}>{name ?? id}</a>;

export const LoyaltyPage: FC<{ csrf: string; notice?: Notice | null; data: Overview }> = ({ csrf, notice, data }) => (
  <Layout title="Loyalty" path="/loyalty" csrf={csrf} notice={notice}>
    {data === null ? (
      <p class="muted">The loyalty program's tables do not exist yet: apply the loyalty migration to see the leaderboard, referrals and ledger.</p>
    ) : (
      <>
        <p>{data.members} members enrolled.</p>
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
