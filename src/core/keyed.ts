/**
 * Per-customer state keeps vendor-chosen strings (Segment event names, HubSpot property names, ticket and
 * invoice ids) as keys of plain JSON objects. On a plain object `map["__proto__"] = v` sets the prototype
 * instead of an entry (and JSON drops it), and `map["constructor"]` reads Object itself. These helpers
 * treat every key as data; own properties survive JSON, spread and structuredClone unchanged.
 */
import { z } from "zod";

/** The entry under `key`, never an inherited member like `constructor` or `toString`. */
export function entry<T>(map: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

/** Sets the entry under `key`, `__proto__` included. */
export function setEntry<T>(map: Record<string, T>, key: string, value: T): T {
  Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
  return value;
}

/** The entry under `key`, created from `init` when missing. */
export function entryOr<T>(map: Record<string, T>, key: string, init: () => T): T {
  return Object.hasOwn(map, key) ? map[key]! : setEntry(map, key, init());
}

/** Removes the entry under `key` (a no-op for inherited members). */
export function deleteEntry<T>(map: Record<string, T>, key: string): void {
  if (Object.hasOwn(map, key)) delete map[key];
}

/**
 * z.record(z.string(), value) for maps keyed by vendor strings: zod's own record assigns each key, so a
 * `__proto__` key would set the parsed object's prototype and vanish.
 */
export function dataRecord<V extends z.ZodType>(value: V) {
  return z
    .custom<Record<string, unknown>>((v) => typeof v === "object" && v !== null && !Array.isArray(v), "Expected an object")
    .transform((obj, ctx) => {
      const out: Record<string, z.output<V>> = {};
      for (const [k, v] of Object.entries(obj)) {
        const parsed = value.safeParse(v);
        if (!parsed.success) {
          for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: [k, ...issue.path] } as never);
          return z.NEVER;
        }
        setEntry(out, k, parsed.data);
      }
      return out;
    });
}
