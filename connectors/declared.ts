import { contentKey } from "../webhooks/delivery";
import type { ActionPayload } from "../src/core/actions";
import type { Config } from "../src/env";
import { buildDeclaredRequest } from "../src/plugins/destination-request";
import { declaredDestinations, destinationEnv } from "../src/plugins/destinations";
import type { Connector, ConnectorDeps, DeliveryOutcome, OutboxAction } from "./connector";
import { retryAfterMs } from "./connector";

/**
 * Declared destinations (plugins/*.json, `"kind": "destination"`): each action is the one HTTP request its
 * declaration describes. Which statuses retry is the declaration's; Retry-After is honoured.
 */

type DeclaredAction = OutboxAction<Extract<ActionPayload, { type: "declared.request" }>>;

async function sendOne(a: DeclaredAction, deps: ConnectorDeps): Promise<DeliveryOutcome> {
  const d = Object.hasOwn(declaredDestinations.byName, a.payload.plugin) ? declaredDestinations.byName[a.payload.plugin]! : undefined;
  if (!d) return { id: a.id, status: "permanent", error: `no declared destination named ${a.payload.plugin}` };
  const envOf = destinationEnv(d, deps.cfg as unknown as Record<string, unknown>);
  if ("missing" in envOf) return { id: a.id, status: "retry", error: `${envOf.missing.join(", ")} not set` };
  const { event, at, data } = a.payload;
  // A coalesced row is rewritten with each newer value: its idempotency key names the value, not just the row.
  const key = a.payload.coalesce ? `${a.id}:${at}:${contentKey(JSON.stringify(data))}` : a.id;
  const req = buildDeclaredRequest(d, { id: key, customerId: a.customerId, event, at, data, ...envOf });
  let res: Response;
  try {
    res = await deps.fetch(req.url, { method: req.method, headers: req.headers, body: JSON.stringify(req.body) });
  } catch (err) {
    return { id: a.id, status: "retry", error: `no answer from ${d.name}: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (res.ok) return { id: a.id, status: "delivered", result: { status: res.status } };
  const error = `${d.name} answered ${res.status}: ${(await res.text().catch(() => "")).slice(0, 300)}`;
  if (d.retryOn.includes(res.status)) return { id: a.id, status: "retry", error, httpStatus: res.status, retryAfterMs: retryAfterMs(res, deps.now()) };
  return { id: a.id, status: "permanent", error, httpStatus: res.status };
}

export const declaredConnector: Connector = {
  destination: "declared",
  maxBatch: 1,
  disabledReason(cfg: Config) {
    const names = Object.values(declaredDestinations.byName);
    if (names.length === 0) return "no destination is declared in plugins/";
    const ready = names.filter((d) => !("missing" in destinationEnv(d, cfg as unknown as Record<string, unknown>)));
    return ready.length > 0 ? null : `set ${names.flatMap((d) => Object.values(d.secrets)).join(" or ")}`;
  },
  async deliver(actions: OutboxAction[], deps: ConnectorDeps): Promise<DeliveryOutcome[]> {
    const out: DeliveryOutcome[] = [];
    for (const a of actions) {
      if (a.payload.type === "declared.request") out.push(await sendOne(a as DeclaredAction, deps));
      else out.push({ id: a.id, status: "permanent", error: `a declared destination cannot deliver ${a.payload.type}` });
    }
    return out;
  },
};
