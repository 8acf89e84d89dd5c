/**
 * Production limits the local D1 does not enforce (Cloudflare's D1 limits page): a row, string or BLOB
 * over 2,000,000 bytes is refused, and one invocation may run at most 1,000 queries. Tenure keeps half the
 * row limit as its own ceiling so a write that would fail in production fails here first, loudly.
 */
export const ROW_LIMIT_BYTES = 1_000_000;
/** What one customer's stored values are designed to stay under (docs/scale.md). */
export const CUSTOMER_ROW_BUDGET_BYTES = 256 * 1024;
export const QUERIES_PER_INVOCATION = 1_000;

export class RowTooLargeError extends Error {
  constructor(readonly table: string, readonly bytes: number) {
    super(`${table} row of ${bytes} bytes is over Tenure's ${ROW_LIMIT_BYTES}-byte ceiling (D1 refuses rows over 2,000,000 bytes)`);
    this.name = "RowTooLargeError";
  }
}

export function assertRowFits(table: string, ...values: (string | null)[]): void {
  const bytes = values.reduce((n, v) => n + (v === null ? 0 : utf8Length(v)), 0);
  if (bytes > ROW_LIMIT_BYTES) throw new RowTooLargeError(table, bytes);
}

/**
 * Items bound together as one JSON array parameter (read with `json_each`), split into as many arrays as keep each
 * under Tenure's ceiling: D1 refuses a string over 2,000,000 bytes, bound parameters included. An item over the
 * ceiling on its own gets an array of its own (and D1's refusal).
 */
export function jsonArrays(items: readonly unknown[], limit = ROW_LIMIT_BYTES): string[] {
  const out: string[] = [];
  let parts: string[] = [];
  let size = 2;
  for (const item of items) {
    const text = JSON.stringify(item);
    const n = utf8Length(text) + 1;
    if (parts.length > 0 && size + n > limit) {
      out.push(`[${parts.join(",")}]`);
      parts = [];
      size = 2;
    }
    parts.push(text);
    size += n;
  }
  if (parts.length > 0) out.push(`[${parts.join(",")}]`);
  return out;
}

/** UTF-8 length without allocating an encoded copy. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
