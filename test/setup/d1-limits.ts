import { env } from "cloudflare:test";
import { BOUND_VALUE_LIMIT_BYTES, STATEMENT_LIMIT_BYTES } from "../support/d1-limits";
import { utf8Length } from "../../src/store/limits";

/*
 * The local D1 accepts statements and bound values Cloudflare's D1 refuses (SQL over 100,000 bytes, a string over
 * 2,000,000 bytes). Every statement any test prepares, on any code path, is checked here as it is prepared and
 * bound: over Tenure's ceilings it throws, as production would, instead of passing locally.
 */
const db = env.DB as D1Database | undefined;
if (db) {
  const proto = Object.getPrototypeOf(db.prepare("SELECT 1")) as { bind: (...values: unknown[]) => unknown; __limited?: boolean };
  const dbProto = Object.getPrototypeOf(db) as { prepare: (sql: string) => unknown; __limited?: boolean };
  if (!proto.__limited) {
    const bind = proto.bind;
    proto.bind = function (this: unknown, ...values: unknown[]) {
      for (const [i, v] of values.entries()) {
        if (typeof v === "string" && v.length > BOUND_VALUE_LIMIT_BYTES / 4 && utf8Length(v) > BOUND_VALUE_LIMIT_BYTES) {
          throw new Error(`bound value ${i + 1} of ${utf8Length(v)} bytes is over Tenure's ${BOUND_VALUE_LIMIT_BYTES}-byte ceiling (D1 refuses strings over 2,000,000 bytes)`);
        }
      }
      return bind.apply(this, values);
    };
    proto.__limited = true;
  }
  if (!dbProto.__limited) {
    const prepare = dbProto.prepare;
    dbProto.prepare = function (this: unknown, sql: string) {
      if (utf8Length(sql) > STATEMENT_LIMIT_BYTES) throw new Error(`SQL statement of ${utf8Length(sql)} bytes is over D1's ${STATEMENT_LIMIT_BYTES}-byte limit`);
      return prepare.call(this, sql);
    };
    dbProto.__limited = true;
  }
}
