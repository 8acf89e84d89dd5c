/**
 * Checks a JSON value against a schema of the OpenAPI document: the subset of JSON Schema the document uses
 * (type, enum, const, properties, required, additionalProperties, items, allOf, oneOf, anyOf, $ref). Returns
 * the first mismatch as "path: problem", or null. A validator library would compile code, which workerd forbids.
 */
type Schema = Record<string, any>;

export function mismatch(value: unknown, schema: Schema, doc: Schema, path = "$"): string | null {
  if (schema.$ref) return mismatch(value, resolveRef(doc, schema.$ref), doc, path);
  if ("const" in schema && value !== schema.const) return `${path}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`;
  if (schema.enum && !schema.enum.includes(value)) return `${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`;
  if (schema.type && !typesOf(value).some((t) => [schema.type].flat().includes(t))) return `${path}: ${JSON.stringify(value)} is not of type ${JSON.stringify(schema.type)}`;
  for (const part of schema.allOf ?? []) {
    const m = mismatch(value, part, doc, path);
    if (m) return m;
  }
  for (const key of ["oneOf", "anyOf"] as const) {
    const options: Schema[] | undefined = schema[key];
    if (options && options.every((o) => mismatch(value, o, doc, path) !== null)) return `${path}: matches none of its ${key}`;
  }
  if (Array.isArray(value) && schema.items) {
    for (const [i, item] of value.entries()) {
      const m = mismatch(item, schema.items, doc, `${path}[${i}]`);
      if (m) return m;
    }
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in obj)) return `${path}: lacks required ${key}`;
    for (const [key, v] of Object.entries(obj)) {
      const declared = schema.properties?.[key];
      if (declared) {
        const m = mismatch(v, declared, doc, `${path}.${key}`);
        if (m) return m;
      } else if (schema.additionalProperties === false) return `${path}: ${key} is not declared`;
      else if (typeof schema.additionalProperties === "object") {
        const m = mismatch(v, schema.additionalProperties, doc, `${path}.${key}`);
        if (m) return m;
      }
    }
  }
  return null;
}

/** Keys of an object answer that its schema does not declare (a field added to a route but not to the document). */
export function undeclaredKeys(value: Record<string, unknown>, schema: Schema, doc: Schema): string[] {
  const s = schema.$ref ? resolveRef(doc, schema.$ref) : schema;
  if (s.additionalProperties !== undefined && s.additionalProperties !== false) return [];
  const parts: Schema[] = [s, ...(s.allOf ?? []), ...(s.oneOf ?? []).filter((o: Schema) => mismatch(value, o, doc) === null)];
  const declared = new Set(parts.flatMap((p) => Object.keys((p.$ref ? resolveRef(doc, p.$ref) : p).properties ?? {})));
  return Object.keys(value).filter((k) => !declared.has(k));
}

export function resolveRef(doc: Schema, ref: string): Schema {
  if (!ref.startsWith("#/")) throw new Error(`only local $refs are used: ${ref}`);
  const target = ref
    .slice(2)
    .split("/")
    .reduce<any>((node, part) => node?.[part.replace(/~1/g, "/").replace(/~0/g, "~")], doc);
  if (target === undefined) throw new Error(`$ref ${ref} resolves to nothing`);
  return target;
}

function typesOf(value: unknown): string[] {
  if (value === null) return ["null"];
  if (Array.isArray(value)) return ["array"];
  if (typeof value === "number") return Number.isInteger(value) ? ["integer", "number"] : ["number"];
  return [typeof value];
}
