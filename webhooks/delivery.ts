import type { SourceName, Subject } from "../src/core/events";
import { type Delivery, emailDomain } from "./source";

/** Small pure helpers shared by the non-Stripe sources. */

/** Tenure's event id: `${source}:${dedupe key}` (unique in the inbox). */
export function eventId(source: SourceName, dedupeKey: string): string {
  return `${source}:${dedupeKey}`;
}

/** A delivery stored as ignored: answered 2xx, no facts. */
export function ignored(d: Omit<Delivery, "events" | "ignoredReason">, reason: string): Delivery {
  return { ...d, events: [], ignoredReason: reason };
}

/** Drops undefined, null and empty-string values, so a subject carries only what is known. */
export function compact<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== "")) as { [K in keyof T]: Exclude<T[K], null> };
}

/** Identity hints from an email address: the address and its domain. */
export function emailSubject(email: string | null | undefined): Subject {
  const e = email?.trim();
  if (!e || !e.includes("@")) return {};
  return compact({ email: e.toLowerCase(), domain: emailDomain(e) });
}

/**
 * Milliseconds since epoch from an ISO-8601 string, or undefined when it is not a date. A date that parses
 * is kept however implausible (1969, year 9999): the route refuses it by name instead of it being replaced.
 */
export function isoMs(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isFinite(t) ? t : undefined;
}

/** Milliseconds from epoch seconds, or undefined. An absurd value stays absurd (the route refuses it by name). */
export function secondsMs(value: number | null | undefined): number | undefined {
  return typeof value === "number" ? Math.round(value * 1000) : undefined;
}

/**
 * A short, stable digest of a string (cyrb53, 53 bits, hex) for dedupe keys of deliveries that carry
 * no vendor id. Not a security measure: the signature already authenticated the bytes.
 */
export function contentKey(s: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, "0");
}

/** Ids arrive as numbers or strings depending on the vendor and endpoint; Tenure keeps strings. */
export function idString(v: string | number): string {
  return typeof v === "number" ? String(Math.trunc(v)) : v;
}
