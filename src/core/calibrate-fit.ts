/**
 * Regularised logistic regression, fitted by Newton's method on standardised features (a handful of them,
 * so each step solves a small linear system), and the AUC's standard error from Hanley & McNeil (1982).
 * Pure and deterministic: the same rows give the same coefficients.
 */

export interface Fitted {
  intercept: number;
  /** One per feature, on the features' own (unstandardised) scale. */
  coefficients: number[];
  iterations: number;
}

const MAX_ITERATIONS = 30;

/** Minimises mean log-loss + (lambda / 2) · |β|² over standardised features; the intercept is not penalised. */
export function fitLogistic(x: readonly (readonly number[])[], y: readonly boolean[], lambda = 0.01): Fitted {
  const n = x.length;
  const k = x[0]?.length ?? 0;
  if (n === 0) return { intercept: 0, coefficients: new Array(k).fill(0), iterations: 0 };
  const mean = new Array(k).fill(0);
  const sd = new Array(k).fill(0);
  for (const row of x) for (let j = 0; j < k; j++) mean[j] += row[j]! / n;
  for (const row of x) for (let j = 0; j < k; j++) sd[j] += (row[j]! - mean[j]) ** 2 / n;
  // A feature that does not vary (a component no row has) gets no coefficient, not one fitted to rounding noise.
  const constant = sd.map((v, j) => Math.sqrt(v) <= 1e-9 * (1 + Math.abs(mean[j])));
  for (let j = 0; j < k; j++) sd[j] = constant[j] ? 1 : Math.sqrt(sd[j]);
  const z = x.map((row) => [1, ...row.map((v, j) => (constant[j] ? 0 : (v - mean[j]) / sd[j]))]);
  const beta = new Array(k + 1).fill(0);
  let it = 0;
  for (; it < MAX_ITERATIONS; it++) {
    const grad = new Array(k + 1).fill(0);
    const hess = Array.from({ length: k + 1 }, () => new Array(k + 1).fill(0));
    for (let i = 0; i < n; i++) {
      const zi = z[i]!;
      const p = sigmoid(dot(beta, zi));
      const r = p - (y[i] ? 1 : 0);
      const w = Math.max(p * (1 - p), 1e-9);
      for (let a = 0; a <= k; a++) {
        grad[a] += (r * zi[a]!) / n;
        for (let b = a; b <= k; b++) hess[a]![b] += (w * zi[a]! * zi[b]!) / n;
      }
    }
    for (let a = 0; a <= k; a++) for (let b = 0; b < a; b++) hess[a]![b] = hess[b]![a]!;
    for (let a = 1; a <= k; a++) {
      grad[a] += lambda * beta[a];
      hess[a]![a] += lambda;
    }
    const step = solve(hess, grad);
    let size = 0;
    for (let a = 0; a <= k; a++) {
      beta[a] -= step[a]!;
      size = Math.max(size, Math.abs(step[a]!));
    }
    if (size < 1e-8) {
      it++;
      break;
    }
  }
  const coefficients = beta.slice(1).map((b, j) => b / sd[j]);
  const intercept = beta[0] - coefficients.reduce((s, c, j) => s + c * mean[j], 0);
  return { intercept, coefficients, iterations: it };
}

export function predictLogit(f: Fitted, row: readonly number[]): number {
  return f.intercept + f.coefficients.reduce((s, c, j) => s + c * row[j]!, 0);
}

function sigmoid(t: number): number {
  return t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t));
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Gaussian elimination with partial pivoting; the matrix is positive definite (the ridge term sees to it). */
function solve(m: number[][], v: number[]): number[] {
  const n = v.length;
  const a = m.map((row, i) => [...row, v[i]!]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[pivot]![c]!)) pivot = r;
    [a[c], a[pivot]] = [a[pivot]!, a[c]!];
    const d = a[c]![c]! || 1e-12;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r]![c]! / d;
      if (f === 0) continue;
      for (let k = c; k <= n; k++) a[r]![k]! -= f * a[c]![k]!;
    }
  }
  return a.map((row, i) => row[n]! / (row[i]! || 1e-12));
}

/**
 * A 95% interval for an AUC from the numbers of churned (`positives`) and retained (`negatives`) samples
 * (Hanley & McNeil 1982), clipped to [0, 1].
 */
export function aucInterval(auc: number, positives: number, negatives: number): [number, number] {
  if (positives === 0 || negatives === 0) return [0, 1];
  const q1 = auc / (2 - auc);
  const q2 = (2 * auc * auc) / (1 + auc);
  const variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) / (positives * negatives);
  const se = Math.sqrt(Math.max(0, variance));
  return [Math.max(0, auc - 1.96 * se), Math.min(1, auc + 1.96 * se)];
}
