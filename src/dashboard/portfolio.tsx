import type { FC } from "hono/jsx";
import type { PortfolioQuery, PortfolioRow, PortfolioSort } from "../store/dashboard";
import { Band, Layout, date, money, type Notice } from "./layout";

const columns: [PortfolioSort, string, boolean][] = [
  ["customer", "Customer", false],
  ["score", "Score", true],
  ["band", "Band", false],
  ["trend", "Trend (7d)", true],
  ["stage", "Stage", false],
  ["mrr", "MRR", true],
  ["renewal", "Renewal", false],
  ["owner", "Owner", false],
];

function link(q: PortfolioQuery, patch: Partial<PortfolioQuery>): string {
  const next = { ...q, ...patch };
  const params = new URLSearchParams({ sort: next.sort, dir: next.dir });
  if (next.band) params.set("band", next.band);
  if (next.stage) params.set("stage", next.stage);
  if (next.offset) params.set("offset", String(next.offset));
  return `/portfolio?${params}`;
}

const trend = (t: number | null) => (t === null ? "–" : `${t > 0 ? "+" : ""}${t}`);

export const PortfolioPage: FC<{ csrf: string; notice?: Notice | null; q: PortfolioQuery; rows: PortfolioRow[]; total: number }> = ({ csrf, notice, q, rows, total }) => (
  <Layout title="Portfolio" path="/portfolio" csrf={csrf} notice={notice}>
    <form method="get" action="/portfolio" class="filters">
      <input type="hidden" name="sort" value={q.sort} />
      <input type="hidden" name="dir" value={q.dir} />
      <label>
        Band{" "}
        <select name="band">
          {["", "green", "yellow", "red"].map((b) => (
            <option value={b} selected={(q.band ?? "") === b}>{b || "any"}</option>
          ))}
        </select>
      </label>
      <label>
        Stage{" "}
        <select name="stage">
          {["", "awareness", "conversion", "purchase", "onboarding", "renewal", "loyalty", "churned"].map((s) => (
            <option value={s} selected={(q.stage ?? "") === s}>{s || "any"}</option>
          ))}
        </select>
      </label>
      <button type="submit">Filter</button>
      <span class="muted">{total} customers</span>
    </form>
    <table>
      <thead>
        <tr>
          {columns.map(([key, label, numeric]) => {
            const active = q.sort === key;
            const dir = active && q.dir === "asc" ? "desc" : "asc";
            return (
              <th class={numeric ? "num" : undefined} aria-sort={active ? (q.dir === "asc" ? "ascending" : "descending") : undefined}>
                <a href={link(q, { sort: key, dir, offset: 0 })}>
                  {label}
                  {active ? (q.dir === "asc" ? " ▲" : " ▼") : ""}
                </a>
              </th>
            );
          })}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr>
            <td>
              <a href={`/customers/${encodeURIComponent(r.id)}`}>{r.name ?? r.domain ?? r.id}</a>
            </td>
            <td class="num">{r.score ?? "–"}</td>
            <td>
              <Band band={r.band} />
            </td>
            <td class="num">{trend(r.trend7)}</td>
            <td>{r.stage ?? "–"}</td>
            <td class="num">{money(r.mrr, r.currency)}</td>
            <td>{date(r.renewal)}</td>
            <td>{r.owner ?? "–"}</td>
          </tr>
        ))}
      </tbody>
    </table>
    <p>
      {q.offset > 0 ? <a href={link(q, { offset: Math.max(0, q.offset - q.limit) })}>← Previous</a> : null}{" "}
      {q.offset + rows.length < total ? <a href={link(q, { offset: q.offset + q.limit })}>Next →</a> : null}
    </p>
  </Layout>
);
