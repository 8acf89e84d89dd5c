import type { FC } from "hono/jsx";
import type { HealthModel } from "../core/health";
import { CsrfField, Layout, type Notice } from "./layout";

export const ModelPage: FC<{ csrf: string; notice?: Notice | null; model: HealthModel; backtest: boolean; result?: Record<string, any> | null }> = ({ csrf, notice, model, backtest, result }) => {
  const total = Object.values(model.weights).reduce((a, b) => a + b, 0);
  return (
    <Layout title="Health model" path="/model" csrf={csrf} notice={notice}>
      <p>
        Version <strong>{model.version}</strong> · red below {model.bands.red}, green above {model.bands.green}, hysteresis {model.bands.hysteresis} points.
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
