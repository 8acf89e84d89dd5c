import type { FC } from "hono/jsx";
import type { ModelChange } from "../core/model-version";
import type { VersionSummary } from "../store/model-versions";
import { Band, CsrfField, dateTime } from "./layout";

/** Parts of the Model page an admin uses to manage versions (src/routes/model-dashboard.ts). */

export type VersionRow = VersionSummary;

const pct = (v: number | null | undefined) => (v == null ? "–" : `${Math.round(v * 1000) / 10}%`);
const num = (v: number | null | undefined, digits = 3) => (v == null ? "–" : Number(v).toFixed(digits));

export const VersionsTable: FC<{ csrf: string; versions: VersionRow[] }> = ({ csrf, versions }) => (
  <table data-versions>
    <thead><tr><th>Version</th><th>Created</th><th>By</th><th>Parent</th><th>Note</th><th></th></tr></thead>
    <tbody>
      {versions.map((v) => (
        <tr data-version={v.id}>
          <td>{v.id}{v.active ? <strong> (active)</strong> : null}</td>
          <td class="when">{v.createdAt === 0 ? "deployment" : dateTime(v.createdAt)}</td>
          <td>{v.author}</td>
          <td>{v.parent ?? "–"}</td>
          <td>{v.note}</td>
          <td>
            <form method="post" action={`/model/versions/${encodeURIComponent(v.id)}/preview`} class="inline">
              <CsrfField csrf={csrf} />
              <button type="submit">Preview</button>
            </form>{" "}
            {v.active ? null : (
              <form method="post" action={`/model/versions/${encodeURIComponent(v.id)}/activate`} class="inline">
                <CsrfField csrf={csrf} />
                <button type="submit">Activate</button>
              </form>
            )}
          </td>
        </tr>
      ))}
    </tbody>
  </table>
);

export const CreateVersionForm: FC<{ csrf: string; draft?: string; note?: string }> = ({ csrf, draft, note }) => (
  <form method="post" action="/model/versions">
    <CsrfField csrf={csrf} />
    <p><label>Model (JSON, as TENURE_CONFIG.health; omitted fields take their defaults)<br />
      <textarea name="model" rows={6} cols={80}>{draft ?? '{ "weights": { "billing": 20, "usage": 30 } }'}</textarea></label></p>
    <p><label>Note <input type="text" name="note" maxlength={500} size={60} value={note ?? ""} /></label> <button type="submit">Create version</button></p>
  </form>
);

export interface PreviewResult {
  versionId: string;
  activeVersionId: string;
  status: "running" | "done";
  totalCustomers: number;
  customers: number;
  scored: number;
  moved: number;
  byBand: Record<string, number>;
  moves: { customerId: string; name: string | null; active: { score: number; band: string }; candidate: { score: number; band: string } }[];
  backtest: Record<"active" | "candidate", { modelVersion: string; auc: number | null; churnRateByBand: Record<string, number | null>; samples: number; churned: number }>;
}

export const PreviewPanel: FC<{ csrf: string; preview: PreviewResult; changes: ModelChange[]; isActive: boolean }> = ({ csrf, preview: p, changes, isActive }) => (
  <section data-preview>
    <h2>Preview of {p.versionId}</h2>
    <p>
      Against the active version <strong>{p.activeVersionId}</strong>: <strong data-moved={String(p.moved)}>{p.moved}</strong> of {p.scored} live customers would change band. Nothing was changed.
    </p>
    {p.status === "running" ? (
      <p class="notice ok" data-preview-running>
        Running in the background: {p.customers} of {p.totalCustomers} customers read so far. <a href={`/model/versions/${encodeURIComponent(p.versionId)}/preview`}>Reload</a> to see more.
      </p>
    ) : null}
    {changes.length ? <p class="muted">Changes against its parent: {changes.map((c) => `${c.path} ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`).join("; ")}</p> : null}
    <table>
      <thead><tr><th></th><th class="num">AUC</th><th class="num">Churn, green</th><th class="num">Churn, yellow</th><th class="num">Churn, red</th><th class="num">Samples</th></tr></thead>
      <tbody>
        {(["active", "candidate"] as const).map((k) => (
          <tr><th>{k === "active" ? `Active (${p.backtest.active.modelVersion})` : `This version`}</th><td class="num">{num(p.backtest[k].auc)}</td>
            <td class="num">{pct(p.backtest[k].churnRateByBand.green)}</td><td class="num">{pct(p.backtest[k].churnRateByBand.yellow)}</td><td class="num">{pct(p.backtest[k].churnRateByBand.red)}</td>
            <td class="num">{p.backtest[k].samples} ({p.backtest[k].churned} churn)</td></tr>
        ))}
      </tbody>
    </table>
    {p.moves.length ? (
      <table data-moves>
        <thead><tr><th>Customer</th><th class="num">Now</th><th>Band now</th><th class="num">With this version</th><th>Band</th></tr></thead>
        <tbody>
          {p.moves.map((m) => (
            <tr><td><a href={`/customers/${encodeURIComponent(m.customerId)}`}>{m.name ?? m.customerId}</a></td><td class="num">{m.active.score}</td><td><Band band={m.active.band} /></td><td class="num">{m.candidate.score}</td><td><Band band={m.candidate.band} /></td></tr>
          ))}
        </tbody>
      </table>
    ) : null}
    {isActive ? null : (
      <form method="post" action={`/model/versions/${encodeURIComponent(p.versionId)}/activate`}>
        <CsrfField csrf={csrf} />
        <button type="submit">Activate {p.versionId}</button>
      </form>
    )}
  </section>
);

export interface CalibrationShown {
  id: string;
  weights: Record<string, number>;
  evaluation: {
    auc: number;
    aucInterval: [number, number];
    baselineAuc: number | null;
    churnRateByBand: Record<string, number | null>;
    samplesByBand: Record<string, number>;
    samples: number;
    churned: number;
    fitSamples: number;
    fitChurned: number;
    cutoff: number;
    customers: number;
    rows: number;
    sampledRows: number;
    fitAuc: number | null;
  };
}

export const CalibrationPanel: FC<{ csrf: string; result: CalibrationShown }> = ({ csrf, result: r }) => (
  <section data-calibration>
    <h3>Candidate {r.id}</h3>
    <table>
      <tbody>
        <tr><th>Out-of-sample AUC</th><td>{num(r.evaluation.auc)} (95% interval {num(r.evaluation.aucInterval[0])}–{num(r.evaluation.aucInterval[1])})</td></tr>
        <tr><th>Model in force, same snapshots</th><td>{num(r.evaluation.baselineAuc)}</td></tr>
        <tr><th>Evaluated</th><td>{r.evaluation.samples} snapshots after {dateTime(r.evaluation.cutoff)} ({r.evaluation.churned} followed by churn)</td></tr>
        <tr><th>Fitted on</th><td>{r.evaluation.fitSamples} earlier snapshots ({r.evaluation.fitChurned} churned customers), {r.evaluation.customers} customers{r.evaluation.sampledRows < r.evaluation.rows ? `, a sample of ${r.evaluation.sampledRows} of ${r.evaluation.rows} snapshots` : ""}</td></tr>
        <tr><th>AUC on the fitted snapshots</th><td>{num(r.evaluation.fitAuc)}</td></tr>
        <tr><th>Weights</th><td>{Object.entries(r.weights).map(([k, v]) => `${k} ${v}`).join(", ")}</td></tr>
        {(["green", "yellow", "red"] as const).map((b) => (
          <tr><th>Churn rate, {b}</th><td>{pct(r.evaluation.churnRateByBand[b])} <span class="muted">({r.evaluation.samplesByBand[b] ?? 0} snapshots)</span></td></tr>
        ))}
      </tbody>
    </table>
    <form method="post" action={`/model/versions/${encodeURIComponent(r.id)}/preview`}>
      <CsrfField csrf={csrf} />
      <button type="submit">Preview {r.id}</button>
    </form>
  </section>
);
