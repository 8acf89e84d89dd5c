import { createContext, useContext, type Child, type FC } from "hono/jsx";
import { raw } from "hono/html";
import { isoTime } from "../core/time";
import type { Person } from "./auth";
import type { Chart } from "./charts";

export interface Notice {
  kind: "ok" | "error";
  text: string;
}

const css = `
:root{--fg:#1f2933;--muted:#616e7c;--line:#d9e2ec;--bg:#f5f7fa;--accent:#1565c0}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;align-items:center;gap:1.5rem;padding:.6rem 1.5rem;background:#102a43;color:#fff}
header a{color:#d9e2ec;text-decoration:none}header a[aria-current=page]{color:#fff;font-weight:600;border-bottom:2px solid #fff}
header nav{display:flex;gap:1rem;flex:1}header form{margin:0}header .who{color:#d9e2ec}
main{max-width:1200px;margin:0 auto;padding:1rem 1.5rem 3rem}h1{font-size:1.4rem;margin:.5rem 0 1rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
table{border-collapse:collapse;width:100%;background:#fff}th,td{padding:.35rem .5rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th a{color:inherit}td.num,th.num{text-align:right}td.num,td.when{white-space:nowrap}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:1rem}
figure{margin:0;background:#fff;border:1px solid var(--line);border-radius:6px;padding:.75rem}figcaption{font-weight:600;margin-bottom:.25rem}
svg.chart{display:block;max-height:260px}svg .grid{stroke:#e4e7eb}svg .tick{font-size:11px;fill:var(--muted)}svg .value{font-size:11px;fill:var(--fg)}svg .empty{font-size:14px;fill:var(--muted)}
details{margin-top:.4rem}summary{cursor:pointer;color:var(--muted)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:.75rem}
.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.6rem .75rem}.card .v{font-size:1.5rem;font-weight:600}.card p{margin:.25rem 0 0;color:var(--muted);font-size:12px}
.badge{display:inline-block;padding:0 .45rem;border-radius:9px;font-size:12px;font-weight:600;color:#fff;background:#78909c}
.badge.green{background:#2e7d32}.badge.yellow{background:#f9a825;color:#1f2933}.badge.red{background:#c62828}
.badge.tentative{background:#fff;color:var(--muted);border:1px dashed var(--muted);font-weight:400}
.notice{padding:.5rem .75rem;border-radius:4px;margin-bottom:1rem}.notice.ok{background:#e3f9e5;border:1px solid #57ae5b}.notice.error{background:#ffe3e3;border:1px solid #e12d39}
button,input,select{font:inherit}button{cursor:pointer;padding:.2rem .6rem;border:1px solid var(--accent);background:#fff;color:var(--accent);border-radius:4px}
form.inline{display:inline}.muted{color:var(--muted)}.filters{display:flex;gap:.75rem;align-items:end;flex-wrap:wrap;margin-bottom:.75rem}
.login{max-width:360px;margin:10vh auto;background:#fff;padding:1.5rem;border:1px solid var(--line);border-radius:6px}.login input{width:100%;padding:.4rem;margin:.5rem 0 1rem}
`;

const pages = [
  ["/", "Worklist"],
  ["/overview", "Overview"],
  ["/portfolio", "Portfolio"],
  ["/alerts", "Alerts"],
  ["/outbox", "Outbox"],
  ["/unmatched", "Unmatched"],
  ["/loyalty", "Loyalty"],
  ["/model", "Model"],
] as const;

export const Document: FC<{ title: string; children?: Child }> = ({ title, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{title} · Tenure</title>
      <style>{raw(css)}</style>
    </head>
    <body>{children}</body>
  </html>
);

/** The signed-in person, provided by render() so every page's header names them without threading a prop. */
export const PersonContext = createContext<Person | null>(null);

const SignedIn: FC = () => {
  const person = useContext(PersonContext);
  if (!person) return null;
  return (
    <span class="who">
      {person.email ?? person.actor} <span class="badge role">{person.role}</span>
    </span>
  );
};

export const Layout: FC<{ title: string; path: string; csrf: string; notice?: Notice | null; children?: Child }> = ({ title, path, csrf, notice, children }) => (
  <Document title={title}>
    <header>
      <strong>Tenure</strong>
      <nav aria-label="Dashboard">
        {pages.map(([href, label]) => (
          <a href={href} aria-current={path === href ? "page" : undefined}>
            {label}
          </a>
        ))}
      </nav>
      <SignedIn />
      <form method="post" action="/logout">
        <input type="hidden" name="_csrf" value={csrf} />
        <button type="submit">Log out</button>
      </form>
    </header>
    <main>
      <h1>{title}</h1>
      {notice ? (
        <p class={`notice ${notice.kind}`} role="status">
          {notice.text}
        </p>
      ) : null}
      {children}
    </main>
  </Document>
);

/** A chart with its data table underneath, for screen readers and for copying numbers. */
export const Figure: FC<{ chart: Chart }> = ({ chart }) => (
  <figure id={chart.id}>
    <figcaption>{chart.title}</figcaption>
    {raw(chart.svg)}
    <details>
      <summary>Data table</summary>
      <table>
        <thead>
          <tr>
            {chart.table.head.map((h) => (
              <th>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {chart.table.rows.map((r) => (
            <tr>
              {r.map((cell) => (
                <td>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  </figure>
);

export const Band: FC<{ band: string | null | undefined }> = ({ band }) => <span class={`badge ${band ?? ""}`}>{band ?? "unscored"}</span>;

export const money = (minor: number | null | undefined, currency?: string | null) =>
  minor == null ? "–" : `${(minor / 100).toLocaleString("en-US", { minimumFractionDigits: 0, maximumFractionDigits: 2 })}${currency ? ` ${currency.toUpperCase()}` : ""}`;

/** A stored time as a UTC day; "–" when missing, the raw value when no Date can hold it (an old row must still render). */
export const date = (ms: number | null | undefined) => (ms == null ? "–" : (isoTime(ms)?.slice(0, 10) ?? String(ms)));
export const dateTime = (ms: number | null | undefined) => (ms == null ? "–" : (isoTime(ms)?.slice(0, 16).replace("T", " ") ?? String(ms)));

export const CsrfField: FC<{ csrf: string }> = ({ csrf }) => <input type="hidden" name="_csrf" value={csrf} />;
