import { type Chart, type ChartTable, H, M, W, empty, esc, fmt, frame, niceTicks, yAxis } from "./charts";
import { CHAR_PX, isoDay, timeAxis, timeScale, type TimeWindow } from "./time-axis";

/**
 * Charts over time: the x axis spans exactly the chosen window (not the data), its labels fit, and a point
 * measured on a small sample (`n` below `minN`) is drawn hollow and left out of the solid line.
 */

export interface TimePoint {
  at: number;
  value: number | null;
  /** Sample size behind the value (responses, customers). */
  n?: number;
  /** Shown in the table and tooltip; the UTC day by default. */
  label?: string;
}

export interface TimeLine {
  name: string;
  color: string;
  points: TimePoint[];
}

function xAxis(w: TimeWindow, width: number): string {
  const { ticks } = timeAxis(w, M.left, width - M.right, width);
  return ticks
    .map((t) => `<line x1="${t.x.toFixed(1)}" x2="${t.x.toFixed(1)}" y1="${H - M.bottom}" y2="${H - M.bottom + 4}" class="grid"/><text x="${t.x.toFixed(1)}" y="${H - M.bottom + 16}" text-anchor="middle" class="tick">${esc(t.label)}</text>`)
    .join("");
}

const inWindow = (w: TimeWindow) => (p: { at: number }) => p.at >= w.from && p.at <= w.to;

function legend(items: { name: string; color: string; hollow?: boolean }[]): string {
  let x = M.left;
  return items
    .map((it) => {
      const mark = it.hollow ? `<circle cx="${x + 5}" cy="7" r="4" fill="#fff" stroke="${it.color}" stroke-width="1.5"/>` : `<rect x="${x}" y="2" width="10" height="10" fill="${it.color}"/>`;
      const out = `${mark}<text x="${x + 14}" y="11" class="tick">${esc(it.name)}</text>`;
      x += 14 + it.name.length * CHAR_PX + 16;
      return out;
    })
    .join("");
}

const withN = (text: string, n: number | undefined) => (n === undefined ? text : `${text} (n=${n})`);

export function timeLineChart(o: {
  id: string;
  title: string;
  desc: string;
  window: TimeWindow;
  lines: TimeLine[];
  unit?: string;
  min?: number;
  max?: number;
  /** Points with fewer samples are tentative. */
  minN?: number;
  width?: number;
}): Chart {
  const unit = o.unit ?? "";
  const width = o.width ?? W;
  const minN = o.minN ?? 0;
  const lines = o.lines.map((l) => ({ ...l, points: l.points.filter(inWindow(o.window)).sort((a, b) => a.at - b.at) }));
  const table = timeTable(lines, unit);
  const all = lines.flatMap((l) => l.points.flatMap((p) => (p.value === null ? [] : [p.value])));
  if (all.length === 0) return { id: o.id, title: o.title, svg: frame(o.id, o.title, o.desc, empty(width) + xAxis(o.window, width), width), table };
  const ticks = niceTicks(o.min ?? Math.min(...all), o.max ?? Math.max(...all));
  const lo = ticks[0]!;
  const hi = ticks[ticks.length - 1]!;
  const tentative = (p: TimePoint) => p.n !== undefined && p.n < minN;
  const anyTentative = lines.some((l) => l.points.some((p) => p.value !== null && tentative(p)));
  const keys = [...(lines.length > 1 ? lines.map((l) => ({ name: l.name, color: l.color })) : []), ...(anyTentative ? [{ name: `n < ${minN}: tentative`, color: "#78909c", hollow: true }] : [])];
  // A legend takes the top row: the plot starts below it.
  const top = keys.length > 0 ? M.top + 12 : M.top;
  const y = (v: number) => top + (H - top - M.bottom) * (1 - (v - lo) / (hi - lo));
  const x = timeScale(o.window, M.left, width - M.right);
  const paths = lines
    .map((l) => {
      let solid = "";
      let faint = "";
      let pen = false;
      for (const p of l.points) {
        if (p.value === null) {
          pen = false;
          continue;
        }
        const xy = `${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`;
        faint += `${faint ? "L" : "M"}${xy}`;
        if (tentative(p)) pen = false;
        else (solid += `${pen ? "L" : "M"}${xy}`), (pen = true);
      }
      const dots = l.points
        .map((p) => {
          if (p.value === null) return "";
          const tip = `<title>${esc(l.name)} ${esc(p.label ?? isoDay(p.at))}: ${esc(withN(fmt(p.value) + unit, p.n))}${tentative(p) ? " · too few to trust" : ""}</title>`;
          const at = `cx="${x(p.at).toFixed(1)}" cy="${y(p.value).toFixed(1)}"`;
          if (!tentative(p)) return `<circle ${at} r="3" fill="${l.color}">${tip}</circle>`;
          return `<circle ${at} r="3.5" fill="#fff" stroke="${l.color}" stroke-width="1.5" class="tentative">${tip}</circle>`;
        })
        .join("");
      const faintPath = minN > 0 ? `<path d="${faint}" fill="none" stroke="${l.color}" stroke-width="1" stroke-dasharray="3 3" opacity="0.5"/>` : "";
      return `${faintPath}<path d="${solid}" fill="none" stroke="${l.color}" stroke-width="2" class="line"/>${dots}`;
    })
    .join("");
  const svg = frame(o.id, o.title, o.desc, yAxis(ticks, y, unit, width) + xAxis(o.window, width) + paths + legend(keys), width);
  return { id: o.id, title: o.title, svg, table };
}

function timeTable(lines: TimeLine[], unit: string): ChartTable {
  const hasN = lines.map((l) => l.points.some((p) => p.n !== undefined));
  const head = ["", ...lines.flatMap((l, i) => (hasN[i] ? [l.name, "n"] : [l.name]))];
  const times = [...new Set(lines.flatMap((l) => l.points.map((p) => p.at)))].sort((a, b) => a - b);
  const rows = times.map((at) => {
    const label = lines.flatMap((l) => l.points.filter((p) => p.at === at && p.label)).map((p) => p.label)[0] ?? isoDay(at);
    return [
      label,
      ...lines.flatMap((l, i) => {
        const p = l.points.find((q) => q.at === at);
        const v = p?.value == null ? "–" : fmt(p.value) + unit;
        return hasN[i] ? [v, p?.n ?? "–"] : [v];
      }),
    ];
  });
  return { head, rows };
}

export interface TimeBar {
  from: number;
  to: number;
  value: number;
  label?: string;
}

/** One bar per interval (a day, a week), placed on the window's time axis. */
export function timeBarChart(o: { id: string; title: string; desc: string; window: TimeWindow; bars: TimeBar[]; color: string; unit?: string; width?: number }): Chart {
  const unit = o.unit ?? "";
  const width = o.width ?? W;
  const bars = o.bars.filter((b) => b.to > o.window.from && b.from < o.window.to).sort((a, b) => a.from - b.from);
  const table: ChartTable = { head: ["", "Value"], rows: bars.map((b) => [b.label ?? isoDay(b.from), fmt(b.value) + unit]) };
  if (bars.length === 0) return { id: o.id, title: o.title, svg: frame(o.id, o.title, o.desc, empty(width) + xAxis(o.window, width), width), table };
  const ticks = niceTicks(0, Math.max(1, ...bars.map((b) => b.value)), bars.every((b) => Number.isInteger(b.value)));
  const top = ticks[ticks.length - 1]!;
  const y = (v: number) => M.top + (H - M.top - M.bottom) * (1 - v / top);
  const x = timeScale(o.window, M.left, width - M.right);
  const rects = bars
    .map((b) => {
      const x0 = x(Math.max(b.from, o.window.from));
      const x1 = x(Math.min(b.to, o.window.to));
      const pad = Math.min(2, (x1 - x0) * 0.15);
      return `<rect x="${(x0 + pad).toFixed(1)}" y="${y(b.value).toFixed(1)}" width="${Math.max(1, x1 - x0 - 2 * pad).toFixed(1)}" height="${Math.max(0, y(0) - y(b.value)).toFixed(1)}" fill="${o.color}" class="bar"><title>${esc(b.label ?? isoDay(b.from))}: ${esc(fmt(b.value) + unit)}</title></rect>`;
    })
    .join("");
  const svg = frame(o.id, o.title, o.desc, yAxis(ticks, y, unit, width) + xAxis(o.window, width) + rects, width);
  return { id: o.id, title: o.title, svg, table };
}
