import fc from "fast-check";

/**
 * Hostile webhook bodies, built from a source's real fixtures where that makes the case sharper
 * (a fixture with a wrong type deep inside passes more of the pipeline than random text does).
 */

/** The route refuses bodies over 256 KiB; stay under it so the body reaches verification. */
const MAX_BODY = 250 * 1024;

/** Literals JSON.stringify can never produce, spliced in as text. */
const HUGE_LITERALS = ["1e400", "-1e400", "1e-400", "123456789012345678901234567890", "9007199254740993", "-0", "1.7976931348623157e309", "0.1e-999999"];
const HUGE = "\u0000huge\u0000";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A value of a different type than the one it replaces. */
const wrongType = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 20 }),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.integer(), { maxLength: 3 }),
);

const POLLUTION: Json[] = [{ polluted: "yes" }, { prototype: { polluted: "yes" } }, { toString: "not a function" }];

interface Op {
  kind: "replace" | "delete" | "huge" | "proto" | "constructor";
  /** Chooses the node: an index into the list of every container in the document. */
  at: number;
  /** Chooses the key or element within it. */
  key: number;
  value: unknown;
  pollution: number;
}

const arbOp: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom("replace", "delete", "huge", "proto", "constructor"),
  at: fc.nat(),
  key: fc.nat(),
  value: wrongType,
  pollution: fc.nat({ max: POLLUTION.length - 1 }),
});

function containers(v: Json, out: (Json[] | { [k: string]: Json })[] = []): (Json[] | { [k: string]: Json })[] {
  if (v !== null && typeof v === "object") {
    out.push(v);
    for (const child of Object.values(v)) containers(child, out);
  }
  return out;
}

/** Defines an own, enumerable key even when it is "__proto__" (plain assignment would set the prototype). */
function put(o: Json[] | { [k: string]: Json }, key: string | number, value: unknown): void {
  // A fresh copy: fc.constant values are shared, and sharing one node twice would make a cycle.
  const copy = value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  Object.defineProperty(o, key, { value: copy, enumerable: true, writable: true, configurable: true });
}

function apply(doc: Json, op: Op): void {
  const all = containers(doc);
  if (all.length === 0) return;
  const node = all[op.at % all.length]!;
  const keys = Object.keys(node);
  const key = keys.length ? keys[op.key % keys.length]! : "x";
  switch (op.kind) {
    case "replace":
      put(node, key, op.value);
      break;
    case "delete":
      if (Array.isArray(node)) node.splice(Number(key), 1);
      else delete node[key];
      break;
    case "huge":
      put(node, key, HUGE);
      break;
    case "proto":
      if (!Array.isArray(node)) put(node, "__proto__", POLLUTION[op.pollution]);
      break;
    case "constructor":
      if (!Array.isArray(node)) put(node, "constructor", { prototype: POLLUTION[op.pollution] });
      break;
  }
}

/** A fixture with 1–4 mutations: wrong types, deleted fields, huge numbers, prototype-pollution keys. */
export function mutatedFixture(fixtures: string[]): fc.Arbitrary<string> {
  return fc
    .record({ fixture: fc.constantFrom(...fixtures), ops: fc.array(arbOp, { minLength: 1, maxLength: 4 }), huge: fc.constantFrom(...HUGE_LITERALS) })
    .map(({ fixture, ops, huge }) => {
      const doc = JSON.parse(fixture) as Json;
      for (const op of ops) apply(doc, op);
      return JSON.stringify(doc).split(JSON.stringify(HUGE)).join(huge);
    });
}

/** A fixture cut short anywhere (including inside a string or a number). */
export function truncatedFixture(fixtures: string[]): fc.Arbitrary<string> {
  return fc.record({ fixture: fc.constantFrom(...fixtures), cut: fc.double({ min: 0, max: 1, noNaN: true }) }).map(({ fixture, cut }) => fixture.slice(0, Math.floor(fixture.length * cut)));
}

/** Arrays or objects nested up to the body limit, optionally wrapped around a fixture. */
export function deeplyNested(fixtures: string[]): fc.Arbitrary<string> {
  return fc
    .record({ depth: fc.integer({ min: 1, max: 40_000 }), object: fc.boolean(), inner: fc.option(fc.constantFrom(...fixtures)), closed: fc.boolean() })
    .map(({ depth, object, inner, closed }) => {
      const open = object ? '{"a":' : "[";
      const close = object ? "}" : "]";
      const core = inner ?? "1";
      const d = Math.max(1, Math.min(depth, Math.floor((MAX_BODY - core.length) / (open.length + close.length))));
      return open.repeat(d) + core + (closed ? close.repeat(d) : "");
    });
}

/** Any text: lone surrogates, control characters, NUL, emoji. */
export const garbageText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 2_000 }),
  // A leading byte-order mark is covered by a deterministic test in test/security/webhook-signatures.test.ts.
  fc.constantFrom("", " ", "null", "true", "0", "-1", '""', "[]", "{}", '{"":{}}', "[null]", "{}\u0000", '{"a":1,"a":2}', '{"__proto__":{"polluted":"yes"}}'),
  fc.json(),
);

/** Raw bytes, mostly not valid UTF-8. */
export const garbageBytes = fc.uint8Array({ maxLength: 1_024 });

/** Header values: printable ASCII (workerd re-encodes anything else as UTF-8 before the Worker sees it). */
export const headerValue = fc.string({ unit: "grapheme-ascii", maxLength: 300 }).map((v) => v.replace(/[\x00-\x1f\x7f]/g, " "));

export function bodies(fixtures: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: mutatedFixture(fixtures), weight: 5 },
    { arbitrary: truncatedFixture(fixtures), weight: 2 },
    { arbitrary: deeplyNested(fixtures), weight: 1 },
    { arbitrary: garbageText, weight: 2 },
  );
}
