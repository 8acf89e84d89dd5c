import type { FC } from "hono/jsx";
import { type RenewalWindow, daysSince, isTentative, mrrAtRisk, nextStep, renewalWindow, renewalWindows, topDrivers } from "../core/worklist";
import type { WorklistRow } from "../store/worklist";
import { Band, Layout, date, money, type Notice } from "./layout";

const label = (r: WorklistRow) => r.name ?? r.domain ?? r.id;

const Account: FC<{ r: WorklistRow }> = ({ r }) => (
  <td>
    <a href={`/customers/${encodeURIComponent(r.id)}`}>{label(r)}</a>
    {r.domain && r.name ? <div class="muted">{r.domain}</div> : null}
  </td>
);

/** Score, band and how much data backs it; a low-coverage score says so. */
const Score: FC<{ r: WorklistRow }> = ({ r }) => {
  const pct = r.coverage == null ? "unknown" : `${Math.round(r.coverage * 100)} %`;
  return (
    <td class="num">
      {r.score ?? "–"} <Band band={r.band} />{" "}
      {isTentative(r.coverage) ? (
        <span class="badge tentative" title={`Coverage ${pct}: little data backs this score`} data-coverage={pct}>
          tentative
        </span>
      ) : (
        <span class="muted" title={`Coverage: ${pct} of the model's weight has data`}>
          {pct} data
        </span>
      )}
    </td>
  );
};

const Drivers: FC<{ r: WorklistRow }> = ({ r }) => {
  const top = topDrivers(r.drivers);
  return <td>{top.length === 0 ? <span class="muted">–</span> : top.map((d) => <div title={d.factor}>{d.detail}</div>)}</td>;
};

export interface WorklistProps {
  csrf: string;
  notice?: Notice | null;
  now: number;
  /** "My accounts": whether it was asked for, and the signed-in email it matches (null with the admin token). */
  mine: { asked: boolean; email: string | null };
  search: string | null;
  attention: { rows: WorklistRow[]; total: number; offset: number; limit: number };
  renewals: WorklistRow[];
  churned: { rows: WorklistRow[]; total: number };
  results: WorklistRow[] | null;
}

const AttentionTable: FC<{ rows: WorklistRow[]; now: number }> = ({ rows, now }) => (
  <table data-list="attention">
    <thead>
      <tr>
        <th>Account</th>
        <th class="num">Score</th>
        <th>Why</th>
        <th class="num">MRR at risk</th>
        <th>Owner</th>
        <th>Renewal</th>
        <th class="num">Days in stage</th>
        <th>Next step</th>
      </tr>
    </thead>
    <tbody>
      {rows.map((r) => (
        <tr data-customer={r.id}>
          <Account r={r} />
          <Score r={r} />
          <Drivers r={r} />
          <td class="num">
            {money(r.score == null ? null : mrrAtRisk(r.score, r.mrr), r.currency)}
            <div class="muted">of {money(r.mrr, r.currency)}</div>
          </td>
          <td>{r.owner ?? "–"}</td>
          <td class="when">{date(r.renewal)}</td>
          <td class="num" title={r.stage ?? undefined}>
            {daysSince(r.stageSince, now) ?? "–"}
          </td>
          <td>{nextStep(r.drivers, r.renewal, now)}</td>
        </tr>
      ))}
    </tbody>
  </table>
);

const ShortTable: FC<{ rows: WorklistRow[]; list: string; when: (r: WorklistRow) => string; whenLabel: string }> = ({ rows, list, when, whenLabel }) => (
  <table data-list={list}>
    <thead>
      <tr>
        <th>Account</th>
        <th class="num">Score</th>
        <th>Stage</th>
        <th class="num">MRR</th>
        <th>Owner</th>
        <th>{whenLabel}</th>
      </tr>
    </thead>
    <tbody>
      {rows.map((r) => (
        <tr data-customer={r.id}>
          <Account r={r} />
          <Score r={r} />
          <td>{r.stage ?? "–"}</td>
          <td class="num">{money(r.mrr, r.currency)}</td>
          <td>{r.owner ?? "–"}</td>
          <td class="when">{when(r)}</td>
        </tr>
      ))}
    </tbody>
  </table>
);

const windowTitle = (days: RenewalWindow, i: number) => (i === 0 ? `Next ${days} days` : `${renewalWindows[i - 1]! + 1}–${days} days`);

/** All accounts or only the signed-in person's; with the admin token there is no person, and the page says so. */
const Scope: FC<{ mine: WorklistProps["mine"] }> = ({ mine }) => {
  const filtering = mine.asked && mine.email !== null;
  return (
    <>
      <nav class="scope" aria-label="Whose accounts">
        {filtering ? <a href="/">All accounts</a> : <strong aria-current="page">All accounts</strong>}
        {" · "}
        {filtering ? <strong aria-current="page">My accounts</strong> : <a href="/?mine=1">My accounts</a>}
      </nav>
      {filtering ? (
        <p class="muted" data-mine={mine.email}>
          Accounts whose HubSpot owner is {mine.email} (owners are read from HubSpot daily and when HubSpot is set up).
        </p>
      ) : mine.asked ? (
        <p class="notice" role="status">
          “My accounts” matches the signed-in person’s email with HubSpot owners, and the admin token has no email: sign in through
          Cloudflare Access to see yours. Showing every account.
        </p>
      ) : null}
    </>
  );
};

export const WorklistPage: FC<WorklistProps> = ({ csrf, notice, now, mine, search, attention, renewals, churned, results }) => {
  const { offset, limit, total } = attention;
  const filtering = mine.asked && mine.email !== null;
  const pageLink = (o: number) => {
    const q = new URLSearchParams();
    if (filtering) q.set("mine", "1");
    if (o > 0) q.set("offset", String(o));
    return q.size > 0 ? `/?${q}` : "/";
  };
  return (
    <Layout title="Worklist" path="/" csrf={csrf} notice={notice}>
      <Scope mine={mine} />
      <form method="get" action="/" class="filters" role="search">
        {filtering ? <input type="hidden" name="mine" value="1" /> : null}
        <label>
          Find an account <input type="search" name="q" value={search ?? ""} placeholder="name, domain or id" maxlength={100} />
        </label>
        <button type="submit">Search</button>
        {search ? <a href={filtering ? "/?mine=1" : "/"}>Clear</a> : null}
      </form>
      {results ? (
        <section aria-label="Search results">
          <h2>Accounts matching “{search}”</h2>
          {results.length === 0 ? <p class="muted">No account matches.</p> : <ShortTable rows={results} list="search" when={(r) => date(r.renewal)} whenLabel="Renewal" />}
        </section>
      ) : (
        <>
          <section aria-label="Needs attention">
            <h2>Needs attention</h2>
            <p class="muted">
              Red and yellow accounts, most MRR at risk first (MRR × (100 − score) / 100, each in its own currency). {total} accounts.
            </p>
            {attention.rows.length === 0 ? <p class="muted">No live account is red or yellow.</p> : <AttentionTable rows={attention.rows} now={now} />}
            <p>
              {offset > 0 ? <a href={pageLink(Math.max(0, offset - limit))}>← Previous</a> : null}{" "}
              {offset + attention.rows.length < total ? <a href={pageLink(offset + limit)}>Next →</a> : null}
            </p>
          </section>
          <section aria-label="Renewals">
            <h2>Renewals in the next 90 days</h2>
            {renewalWindows.map((days, i) => {
              const rows = renewals.filter((r) => r.renewal != null && renewalWindow(r.renewal, now) === days);
              return (
                <details open={i === 0} data-window={days}>
                  <summary>
                    {windowTitle(days, i)} ({rows.length})
                  </summary>
                  {rows.length === 0 ? <p class="muted">None.</p> : <ShortTable rows={rows} list={`renewals-${days}`} when={(r) => date(r.renewal)} whenLabel="Renewal" />}
                </details>
              );
            })}
          </section>
          <section aria-label="Churned">
            <h2>Churned ({churned.total})</h2>
            {churned.rows.length === 0 ? <p class="muted">No churned accounts.</p> : <ShortTable rows={churned.rows} list="churned" when={(r) => date(r.stageSince)} whenLabel="Churned on" />}
          </section>
        </>
      )}
    </Layout>
  );
};
