/**
 * Stripe's request encoding: application/x-www-form-urlencoded with bracketed keys
 * (`metadata[k]=v`, `discounts[0][coupon]=c`, `expand[]=x`), decoded into nested values.
 */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormObject = { [key: string]: FormValue };

export function decodeStripeForm(body: string): FormObject {
  const root: FormObject = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const m = /^([^[\]]+)((?:\[[^\]]*\])*)$/.exec(key);
    if (!m) continue;
    const path = [m[1]!, ...[...m[2]!.matchAll(/\[([^\]]*)\]/g)].map((x) => x[1]!)];
    set(root, path, value);
  }
  return arrays(root) as FormObject;
}

function set(node: FormObject, path: string[], value: string): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  const key = head === "" ? String(Object.keys(node).length) : head;
  if (rest.length === 0) {
    node[key] = value;
    return;
  }
  const child = node[key];
  const next: FormObject = typeof child === "object" && !Array.isArray(child) ? child : {};
  node[key] = next;
  set(next, rest, value);
}

/** Objects whose keys are 0..n-1 become arrays, as Stripe reads `a[0]`, `a[1]`. */
function arrays(v: FormValue): FormValue {
  if (typeof v === "string" || Array.isArray(v)) return v;
  const keys = Object.keys(v);
  const entries = keys.map((k) => [k, arrays(v[k]!)] as const);
  if (keys.length > 0 && keys.every((k, i) => k === String(i))) return entries.map(([, x]) => x);
  return Object.fromEntries(entries);
}

/** A canonical string of the parameters, to tell whether a reused Idempotency-Key carries the same request. */
export function fingerprint(params: FormObject): string {
  const canon = (v: FormValue): unknown =>
    typeof v === "string"
      ? v
      : Array.isArray(v)
        ? v.map(canon)
        : Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k]!)]));
  return JSON.stringify(canon(params));
}
