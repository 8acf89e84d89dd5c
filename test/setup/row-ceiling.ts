import { env } from "cloudflare:test";
import { afterEach } from "vitest";
import { ROW_LIMIT_BYTES } from "../../src/store/limits";
import { oversizedRows } from "../support/row-ceiling";

afterEach(async () => {
  const db = env.DB as D1Database | undefined;
  if (!db) return;
  const over = await oversizedRows(db);
  if (over.length > 0) {
    throw new Error(`stored row over ${ROW_LIMIT_BYTES} bytes (D1 refuses rows over 2,000,000): ${over.map((r) => `${r.tbl} ${r.bytes} B`).join(", ")}`);
  }
});
