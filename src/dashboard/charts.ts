/**
 * Server-rendered SVG charts: no script, no CDN, nothing to download. Each chart has a <title> and
 * <desc> for screen readers and returns the table of the numbers it draws, shown next to it.
 */

import { CHAR_PX, LABEL_GAP } from "./time-axis";

export interface ChartTable {
  head: string[];
  rows: (string | number)[][];
}

export interface Chart {
  id: string;
  title: string;
  svg: string;
  table: ChartTable;
}

export const palette = { green: "#2e7d32", yellow: "#f9a825", red: "#c62828", gray: "#78909c", blue: "#1565c0", purple: "#6a1b9a", teal: "#00838f" };

export const W = 640;
export const H = 240;
export const M = { top: 16, right: 16, bottom: 36, left: 48 };

export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);
}

export const fmt = (n: number) => (Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100));

export function frame(id: string, title: string, desc: string, body: string, width = W, height = H): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-labelledby="${esc(id)}-t ${esc(id)}-d" class="chart" data-chart="${esc(id)}">` +
    `<title id="${esc(id)}-t">${esc(title)}</title><desc id="${esc(id)}-d">${esc(desc)}</desc>${body}</svg>`
  );
}

export const empty = (width = W, height = H) => `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" class="empty">No data yet</text>`;

/** Round axis bounds and 4–5 ticks between them; whole-number steps for counts. */
export function niceTicks(min: number, max: number, integer = false): number[] {
  if (min === max) (min -= 1), (max += 1);
  const raw = (max - min) / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const nice = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const step = integer ? Math.max(1, Math.ceil(nice)) : nice;
  const ticks: number[] = [];
  for (let t = Math.floor(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Math.round(t * 1e6) / 1e6);
  if (ticks[ticks.length - 1]! < max) ticks.push(ticks[ticks.length - 1]! + step);
  return ticks;
}

export function yAxis(ticks: number[], y: (v: number) => number, unit: string, width = W): string {
  return ticks
    .map((t) => `<line x1="${M.left}" x2="${width - M.right}" y1="${y(t)}" y2="${y(t)}" class="grid"/><text x="${M.left - 6}" y="${y(t) + 4}" text-anchor="end" class="tick">${esc(fmt(t))}${esc(unit)}</text>`)
    .join("");
}

/** Category labels: every `every`-th one, so that each has room for the longest label; too long ones are cut with "…". */
export function categoryLabels(labels: string[], slot: number): { every: number; shown: (i: number) => boolean; text: (l: string) => string } {
  const maxChars = Math.max(...labels.map((l) => l.length), 1);
  // Short labels are spaced out; a label longer than two slots is cut rather than thinning the axis further.
  // The outer labels may reach into the margins (at least M.right = 16 px) but not past them.
  const fit = Math.min(maxChars, Math.max(3, Math.floor(Math.min(slot * 2 - LABEL_GAP, slot + 2 * M.right) / CHAR_PX)));
  const every = Math.max(1, Math.ceil((fit * CHAR_PX + LABEL_GAP) / slot));
  const last = labels.length - 1;
  // The last label is always shown; the regular one before it is dropped when they would overlap.
  const shown = (i: number) => i === last || (i % every === 0 && last - i >= every);
  const text = (l: string) => (l.length <= fit ? l : `${l.slice(0, fit - 1)}…`);
  return { every, shown, text };
}

function xLabels(labels: string[], x: (i: number) => number, slot: number): string {
  const { shown, text } = categoryLabels(labels, slot);
  return labels
    .map((l, i) => (shown(i) ? `<text x="${x(i)}" y="${H - M.bottom + 16}" text-anchor="middle" class="tick">${esc(text(l))}</text>` : ""))
    .join("");
}

export interface Bar {
  label: string;
  value: number;
  color?: string;
  /** Extra column in the data table (e.g. MRR). */
  note?: string;
}

export function barChart(o: { id: string; title: string; desc: string; bars: Bar[]; unit?: string; noteHead?: string; max?: number }): Chart {
  const unit = o.unit ?? "";
  const table: ChartTable = {
    head: ["", "Value", ...(o.noteHead ? [o.noteHead] : [])],
    rows: o.bars.map((b) => [b.label, fmt(b.value) + unit, ...(o.noteHead ? [b.note ?? ""] : [])]),
  };
  if (o.bars.length === 0) return { id: o.id, title: o.title, svg: frame(o.id, o.title, o.desc, empty()), table };
  const ticks = niceTicks(0, Math.max(...o.bars.map((b) => b.value), o.max ?? 1), o.bars.every((b) => Number.isInteger(b.value)));
  // Value labels only while they fit; the tooltip and the table always carry them.
  const labelled = o.bars.length <= 12;
  const top = ticks[ticks.length - 1]!;
  const y = (v: number) => M.top + (H - M.top - M.bottom) * (1 - v / top);
  const slot = (W - M.left - M.right) / o.bars.length;
  const bars = o.bars
    .map((b, i) => {
      const x = M.left + i * slot + slot * 0.15;
      const h = y(0) - y(b.value);
      return (
        `<rect x="${x}" y="${y(b.value)}" width="${slot * 0.7}" height="${Math.max(h, 0)}" fill="${b.color ?? palette.blue}" class="bar"><title>${esc(b.label)}: ${esc(fmt(b.value) + unit)}</title></rect>` +
        (labelled ? `<text x="${x + slot * 0.35}" y="${y(b.value) - 4}" text-anchor="middle" class="value">${esc(fmt(b.value) + unit)}</text>` : "")
      );
    })
    .join("");
  const svg = frame(o.id, o.title, o.desc, yAxis(ticks, y, unit) + bars + xLabels(o.bars.map((b) => b.label), (i) => M.left + (i + 0.5) * slot, slot));
  return { id: o.id, title: o.title, svg, table };
}

export interface Step {
  label: string;
  value: number;
  /** Shown after the value, e.g. a conversion rate. */
  note?: string;
}

/** Horizontal bars, widest first by convention, each with its count and note. */
export function funnelChart(o: { id: string; title: string; desc: string; steps: Step[]; noteHead?: string; color?: string }): Chart {
  const table: ChartTable = { head: ["Step", "Count", o.noteHead ?? ""], rows: o.steps.map((s) => [s.label, s.value, s.note ?? ""]) };
  const rowH = 28;
  const height = Math.max(H / 2, o.steps.length * rowH + 16);
  if (o.steps.length === 0 || o.steps.every((s) => s.value === 0)) return { id: o.id, title: o.title, svg: frame(o.id, o.title, o.desc, empty(W, height), W, height), table };
  const max = Math.max(...o.steps.map((s) => s.value));
  const left = 110;
  const span = W - left - 150;
  const bars = o.steps
    .map((s, i) => {
      const w = (s.value / max) * span;
      const yy = 8 + i * rowH;
      return (
        `<text x="${left - 8}" y="${yy + 17}" text-anchor="end" class="tick">${esc(s.label)}</text>` +
        `<rect x="${left}" y="${yy + 4}" width="${Math.max(w, 1)}" height="${rowH - 8}" fill="${o.color ?? palette.teal}" class="bar"><title>${esc(s.label)}: ${s.value}</title></rect>` +
        `<text x="${left + Math.max(w, 1) + 6}" y="${yy + 17}" class="value">${esc(String(s.value))}${s.note ? ` · ${esc(s.note)}` : ""}</text>`
      );
    })
    .join("");
  return { id: o.id, title: o.title, svg: frame(o.id, o.title, o.desc, bars, W, height), table };
}
