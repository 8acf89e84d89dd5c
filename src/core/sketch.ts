/**
 * A bounded count of distinct ids (users), as plain JSON, that merges like a set.
 *
 * Up to SPARSE_MAX ids it holds their 32-bit hashes and counts exactly. Past that it becomes a
 * HyperLogLog with 256 registers (one base-64 character each, 256 bytes in all; standard error about
 * 6.5 %, linear counting below 2.5 × 256). Adding is idempotent and order-insensitive: the dense form is
 * the register-wise max of the same hashes whichever order they came in, and the switch to it depends only
 * on how many distinct hashes there are. Hashes, not ids, are kept, so no user id (often an email) is stored.
 */
export type Sketch = { h: number[] } | { r: string };

const P = 8;
const M = 1 << P;
export const SPARSE_MAX = 32;
const DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

export function emptySketch(): Sketch {
  return { h: [] };
}

/** FNV-1a then a murmur3 finaliser: 32 well-mixed bits from a string. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function registersOf(s: Sketch): Uint8Array {
  const regs = new Uint8Array(M);
  if ("r" in s) for (let i = 0; i < M; i++) regs[i] = Math.max(0, DIGITS.indexOf(s.r[i] ?? "A"));
  else for (const h of s.h) put(regs, h);
  return regs;
}

function put(regs: Uint8Array, h: number): void {
  const idx = h >>> (32 - P);
  const rest = (h << P) >>> 0;
  const rank = rest === 0 ? 32 - P + 1 : Math.clz32(rest) + 1;
  if (rank > regs[idx]!) regs[idx] = rank;
}

function dense(regs: Uint8Array): Sketch {
  let r = "";
  for (let i = 0; i < M; i++) r += DIGITS[regs[i]!];
  return { r };
}

function sparseInsert(list: number[], h: number): number[] {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < h) lo = mid + 1;
    else hi = mid;
  }
  if (list[lo] === h) return list;
  const out = list.slice();
  out.splice(lo, 0, h);
  return out;
}

/** Adds one id (a new sketch; the argument is left as it is). */
export function addToSketch(s: Sketch | undefined, id: string): Sketch {
  return addHash(s ?? emptySketch(), hash32(id));
}

function addHash(s: Sketch, h: number): Sketch {
  if ("h" in s) {
    const list = sparseInsert(s.h, h);
    if (list.length <= SPARSE_MAX) return list === s.h ? s : { h: list };
    const regs = new Uint8Array(M);
    for (const x of list) put(regs, x);
    return dense(regs);
  }
  const idx = h >>> (32 - P);
  const rest = (h << P) >>> 0;
  const rank = rest === 0 ? 32 - P + 1 : Math.clz32(rest) + 1;
  // Most adds to a full sketch change no register: the same sketch comes back without decoding all 256.
  if (s.r.length === M) {
    if (rank <= DIGITS.indexOf(s.r[idx]!)) return s;
    return { r: s.r.slice(0, idx) + DIGITS[rank] + s.r.slice(idx + 1) };
  }
  const regs = registersOf(s);
  put(regs, h);
  return dense(regs);
}

/** The union of several sketches (what "distinct users over these days" reads). */
export function mergeSketches(sketches: readonly Sketch[]): Sketch {
  let hashes: number[] | null = [];
  for (const s of sketches) {
    if (!("h" in s)) {
      hashes = null;
      break;
    }
    for (const h of s.h) hashes.push(h);
  }
  if (hashes) {
    const unique = [...new Set(hashes)].sort((a, b) => a - b);
    if (unique.length <= SPARSE_MAX) return { h: unique };
  }
  const regs = new Uint8Array(M);
  for (const s of sketches) {
    const r = registersOf(s);
    for (let i = 0; i < M; i++) if (r[i]! > regs[i]!) regs[i] = r[i]!;
  }
  return dense(regs);
}

/** Exact up to SPARSE_MAX, the HyperLogLog estimate (rounded) beyond. */
export function sketchCount(s: Sketch | undefined): number {
  if (!s) return 0;
  if ("h" in s) return s.h.length;
  const regs = registersOf(s);
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < M; i++) {
    sum += 2 ** -regs[i]!;
    if (regs[i] === 0) zeros++;
  }
  const alpha = 0.7213 / (1 + 1.079 / M);
  const raw = (alpha * M * M) / sum;
  const estimate = raw <= 2.5 * M && zeros > 0 ? M * Math.log(M / zeros) : raw;
  return Math.max(SPARSE_MAX + 1, Math.round(estimate));
}
