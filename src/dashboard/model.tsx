import type { FC } from "hono/jsx";
import type { HealthModel } from "../core/health";
import type { ModelChange } from "../core/model-version";
import { CsrfField, Layout, dateTime, type Notice } from "./layout";
import { CalibrationPanel, CreateVersionForm, PreviewPanel, VersionsTable, type CalibrationShown, type PreviewResult, type VersionRow } from "./model-versions";

/** Version management, shown to admins: the list, a preview, a calibration, and the create form's last input. */
export interface ModelAdmin {
  versions: VersionRow[];
  /** Newest first: each moment the model changed. */
  activations?: { versionId: string; previousId: string; at: number; actor: string }[];
  preview?: { result: PreviewResult; changes: ModelChange[] } | null;
  calibration?: CalibrationShown | null;
  draft?: { model: string; note: string } | null;
}

export const ModelPage: FC<{ csrf: string; notice?: Notice | null; model: HealthModel; versionId?: string; backtest: boolean; result?: Record<string, any> | null; admin?: ModelAdmin | null }> = ({ csrf, notice, model, versionId, backtest, result, admin }) => {
  const total = Object.values(model.weights).reduce((a, b) => a + b, 0);
  return (
    <Layout title="Health model" path="/model" csrf={csrf} notice={notice}>
      {admin?.preview ? <PreviewPanel csrf={csrf} preview={admin.preview.result} changes={admin.preview.changes} isActive={admin.preview.result.versionId === versionId} /> : null}
      <p>
        Active version <strong data-active-version={versionId ?? model.version}>{versionId ?? model.version}</strong> · red below {model.bands.red}, green above {model.bands.green}, hysteresis {model.bands.hysteresis} points.
      </p>
      <h2>Weights</h2>
      <table>
        <thead><tr><th>Component</th><th class="num">Weight</th><th class="num">Share</th></tr></thead>
        <tbody>
          {Object.entries(model.weights).map(([name, w]) => (
            <tr><td>{name}</td><td class="num">{w}</td><td class="num">{total > 0 ? `${Math.round((w / total) * 1000) / 10}%` : "–"}</td></tr>
          ))}
        </tbody>
      </table>
      <h2>Overrides</h2>
      {model.overrides.length === 0 ? <p class="muted">None.</p> : (
        <table>
          <thead><tr><th>Name</th><th>When</th><th>Weights</th></tr></thead>
          <tbody>
            {model.overrides.map((o, i) => (
              <tr><td>{o.name ?? `override ${i}`}</td><td>{[o.when.stage ? `stage ${o.when.stage.join(", ")}` : "", o.when.segment ? `segment ${o.when.segment.join(", ")}` : ""].filter(Boolean).join("; ")}</td><td>{Object.entries(o.weights ?? {}).map(([k, v]) => `${k} ${v}`).join(", ")}</td></tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Backtest</h2>
      {!backtest ? <p class="muted">This deployment has no backtest endpoint.</p> : (
        <form method="post" action="/model/backtest" class="filters">
          <CsrfField csrf={csrf} />
          <label>Horizon (days) <input type="number" name="horizonDays" min="1" max="730" value="90" /></label>
          <label>Step (days) <input type="number" name="stepDays" min="1" max="90" value="7" /></label>
          <button type="submit">Run backtest</button>
        </form>
      )}
      {admin ? (
        <>
          <h2>Versions</h2>
          <p class="muted">Versions never change once created. Activating one re-scores every customer in the background; a band change it causes raises no alert. Roll back by activating an older version.</p>
          <VersionsTable csrf={csrf} versions={admin.versions} />
          {admin.activations?.length ? (
            <p class="muted" data-activations>
              Model changes: {admin.activations.map((a) => `${dateTime(a.at)} ${a.previousId} → ${a.versionId} by ${a.actor}`).join("; ")}
            </p>
          ) : null}
          <h2>New version</h2>
          <CreateVersionForm csrf={csrf} draft={admin.draft?.model} note={admin.draft?.note} />
          <h2>Calibrate from history</h2>
          <form method="post" action="/model/calibrate" class="filters">
            <CsrfField csrf={csrf} />
            <label>Churn within (days) <input type="number" name="horizonDays" min="7" max="365" value="90" /></label>
            <button type="submit">Calibrate</button>
          </form>
          {admin.calibration ? <CalibrationPanel csrf={csrf} result={admin.calibration} /> : null}
        </>
      ) : null}
      {result ? (
        <table data-backtest>
          <tbody>
            <tr><th>AUC</th><td>{result.auc === null ? "– (needs churned and retained customers)" : Number(result.auc).toFixed(3)}</td></tr>
            <tr><th>Samples</th><td>{result.samples} ({result.churned} followed by churn, {result.censored} too recent)</td></tr>
            <tr><th>Customers</th><td>{result.customers}</td></tr>
            {(["green", "yellow", "red"] as const).map((b) => (
              <tr><th>Churn rate, {b}</th><td>{result.churnRateByBand?.[b] == null ? "–" : `${Math.round(result.churnRateByBand[b] * 1000) / 10}%`} <span class="muted">({result.samplesByBand?.[b] ?? 0} samples)</span></td></tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Layout>
  );
};
