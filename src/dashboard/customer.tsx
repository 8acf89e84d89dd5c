import type { FC } from "hono/jsx";
import { ticketSummaries } from "../core/tickets";
import type { CustomerDetail } from "../store/dashboard";
import type { customerRewards } from "../store/loyalty-dashboard";
import type { customerCharts } from "./customer-charts";
import { WINDOW_DAYS } from "./time-axis";
import { ActionTable } from "./actions-table";
import { IdentityAdmin } from "./identity-admin";
import { MrrRow, SurveyRow } from "./customer-surveys";
import { Band, Figure, Layout, date, dateTime, money, type Notice } from "./layout";

type Rewards = Awaited<ReturnType<typeof customerRewards>>;
type CustomerCharts = ReturnType<typeof customerCharts>;

const WindowLinks: FC<{ id: string; days: number }> = ({ id, days }) => (
  <p class="muted" aria-label="Chart window">
    Charts over the last{" "}
    {WINDOW_DAYS.map((d, i) => (
      <>
        {i > 0 ? " · " : ""}
        {d === days ? <strong aria-current="true">{d}</strong> : <a href={`/customers/${encodeURIComponent(id)}?days=${d}`}>{d}</a>}
      </>
    ))}{" "}
    days
  </p>
);

export const CustomerPage: FC<{ csrf: string; notice?: Notice | null; c: CustomerDetail; rewards: Rewards; charts: CustomerCharts }> = ({ csrf, notice, c, rewards, charts }) => {
  const h = c.health ?? {};
  // Open tickets first, then the most recently opened; the 50 newest are enough for a page.
  const tickets = ticketSummaries(c.state).sort((a, b) => Number(b.view.open) - Number(a.view.open) || (b.view.openedAt ?? 0) - (a.view.openedAt ?? 0));
  const features = Object.entries(c.state.usage.events).sort(([, a], [, b]) => b.lastAt - a.lastAt);
  return (
    <Layout title={c.name ?? c.domain ?? c.id} path="/portfolio" csrf={csrf} notice={notice}>
      <table>
        <tbody>
          <tr><th>Score</th><td>{c.score ?? "–"} <Band band={c.band} /> <span class="muted">trend 7d {h.trend?.d7 ?? "–"}, 30d {h.trend?.d30 ?? "–"}</span></td></tr>
          <tr><th>Stage</th><td>{c.stage ?? "–"} <span class="muted">since {date(c.stageSince)}</span></td></tr>
          <MrrRow c={c} />
          <SurveyRow state={c.state} />
          <tr><th>Renewal</th><td>{date(h.snapshot?.renewalDate)}</td></tr>
          <tr><th>Segments</th><td>{(h.snapshot?.segments ?? []).join(", ") || "–"}</td></tr>
          <tr><th>Linked ids</th><td>{c.identities.map((i) => `${i.kind}: ${i.value}`).join(" · ") || "–"}</td></tr>
        </tbody>
      </table>
      <WindowLinks id={c.id} days={charts.days} />
      <div class="grid">
        <Figure chart={charts.history} />
        <Figure chart={charts.components} />
      </div>
      <h2>Drivers</h2>
      {(h.drivers ?? []).length === 0 ? <p class="muted">No drivers.</p> : (
        <table>
          <thead><tr><th>Factor</th><th class="num">Impact</th><th>Detail</th></tr></thead>
          <tbody>
            {(h.drivers as { factor: string; impact: number; detail: string }[]).map((d) => (
              <tr><td>{d.factor}</td><td class="num">{d.impact > 0 ? `+${d.impact}` : d.impact}</td><td>{d.detail}</td></tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Stage timeline</h2>
      {c.transitions.length === 0 ? <p class="muted">No stage changes recorded.</p> : (
        <ol>
          {c.transitions.map((t) => <li>{dateTime(t.at)}: {t.from ?? "new"} → <strong>{t.to}</strong></li>)}
        </ol>
      )}
      <h2>Tickets</h2>
      {tickets.length === 0 ? <p class="muted">No tickets.</p> : (
        <table>
          <thead><tr><th>Ticket</th><th>Subject</th><th>Status</th><th>Priority</th><th>Opened</th><th>Tags</th><th class="num">CSAT</th></tr></thead>
          <tbody>
            {tickets.slice(0, 50).map((t) => (
              <tr><td>{t.key}</td><td>{t.subject ?? "–"}</td><td>{t.view.status ?? "–"}</td><td>{t.view.open ? t.view.priority : "–"}</td><td>{date(t.view.openedAt)}</td><td>{t.tags.join(", ")}</td><td class="num">{t.view.csat?.value ?? "–"}</td></tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Usage</h2>
      <div class="grid">
        <Figure chart={charts.usage} />
        {features.length === 0 ? <p class="muted">No product usage tracked.</p> : (
        <table>
          <thead><tr><th>Feature</th><th class="num">Days used (last 120)</th><th>First used</th><th>Last used</th></tr></thead>
          <tbody>
            {features.map(([name, e]) => <tr><td>{name}</td><td class="num">{Object.values(c.state.usage.days).filter((d) => d.f.includes(name)).length}</td><td>{date(e.firstAt)}</td><td>{date(e.lastAt)}</td></tr>)}
          </tbody>
        </table>
        )}
      </div>
      <h2>Rewards</h2>
      {rewards === null ? <p class="muted">The loyalty program's tables do not exist yet.</p> : (
        <>
          <p>{rewards.member ? `Member since ${date(rewards.member.enrolledAt)} (${rewards.member.via})` : "Not enrolled"} · balance <strong>{rewards.balance}</strong> points</p>
          {rewards.ledger.length === 0 ? <p class="muted">No ledger entries.</p> : (
          <table>
            <thead><tr><th>When</th><th>Entry</th><th>Kind</th><th class="num">Points</th><th class="num">Credit</th><th>Reason</th></tr></thead>
            <tbody>
              {rewards.ledger.map((l) => <tr><td>{dateTime(l.at)}</td><td>{l.entry}</td><td>{l.kind ?? ""}</td><td class="num">{l.points}</td><td class="num">{l.amount === null ? "" : money(l.amount, l.currency)}</td><td>{l.reason ?? ""}</td></tr>)}
            </tbody>
          </table>
          )}
          {rewards.referrals.length > 0 ? (
            <p>Referrals: {rewards.referrals.map((r) => `${r.referrerName ?? r.referrerId} → ${r.referredName ?? r.referredId} (${r.status})`).join("; ")}</p>
          ) : null}
        </>
      )}
      <h2>Actions sent</h2>
      <ActionTable actions={c.actions} csrf={csrf} back={`/customers/${encodeURIComponent(c.id)}`} />
      <IdentityAdmin csrf={csrf} id={c.id} identities={c.identities} />
    </Layout>
  );
};
