import { contentKey } from "../webhooks/delivery";
import type { ActionPayload } from "../src/core/actions";
import type { Config } from "../src/env";
import { buildDeclaredBatchRequest, buildDeclaredRequest, type PlannedRequest } from "../src/plugins/destination-request";
import type { DestinationDeclaration } from "../src/plugins/destination-schema";
import { declaredDestinations, destinationEnv } from "../src/plugins/destinations";
import type { Connector, ConnectorDeps, DeliveryOutcome, OutboxAction } from "./connector";
import { retryAfterMs } from "./connector";

/**
 * Declared destinations (plugins/*.json, `"kind": "destination"`): each action is the HTTP request its declaration
 * describes, or, for a declaration with `batch`, one of up to `maxItems` items of one request. A batch request's
 * answer is every item's outcome; the rows are marked together, in the outbox's one write-back. Which statuses
 * retry is the declaration's; Retry-After is honoured.
 */

type DeclaredAction = OutboxAction<Extract<ActionPayload, { type: "declared.request" }>>;

/** A coalesced row is rewritten with each newer value: its key names the value, not just the row. */
const keyOf = (a: DeclaredAction) => (a.payload.coalesce ? `${a.id}:${a.payload.at}:${contentKey(JSON.stringify(a.payload.data))}` : a.id);

/**
 * A batch's idempotency key: the same actions with the same values give the same key, so a retry of an identical
 * batch is recognised by the receiver; each item also carries its own id (`{{id}}`) for receivers that dedupe per item.
 */
export const batchKeyOf = (plugin: string, actions: readonly DeclaredAction[]) => `batch:${plugin}:${contentKey(actions.map(keyOf).sort().join("\n"))}`;

type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;

async function send(d: DestinationDeclaration, req: PlannedRequest, ids: string[], deps: ConnectorDeps): Promise<DeliveryOutcome[]> {
  const all = (o: WithoutId<DeliveryOutcome>) => ids.map((id) => ({ ...o, id }) as DeliveryOutcome);
  let res: Response;
  try {
    res = await deps.fetch(req.url, { method: req.method, headers: req.headers, body: JSON.stringify(req.body) });
  } catch (err) {
    return all({ status: "retry", error: `no answer from ${d.name}: ${err instanceof Error ? err.message : String(err)}` });
  }
  if (res.ok) return all({ status: "delivered", result: { status: res.status, ...(ids.length > 1 ? { batch: ids.length } : {}) } });
  const error = `${d.name} answered ${res.status}: ${(await res.text().catch(() => "")).slice(0, 300)}`;
  if (d.retryOn.includes(res.status)) return all({ status: "retry", error, httpStatus: res.status, retryAfterMs: retryAfterMs(res, deps.now()) });
  return all({ status: "permanent", error, httpStatus: res.status });
}

async function deliverPlugin(d: DestinationDeclaration, actions: DeclaredAction[], deps: ConnectorDeps): Promise<DeliveryOutcome[]> {
  const envOf = destinationEnv(d, deps.cfg as unknown as Record<string, unknown>);
  if ("missing" in envOf) return actions.map((a) => ({ id: a.id, status: "retry", error: `${envOf.missing.join(", ")} not set` }));
  const out: DeliveryOutcome[] = [];
  if (!d.batch) {
    for (const a of actions) {
      const { event, at, data } = a.payload;
      out.push(...(await send(d, buildDeclaredRequest(d, { id: keyOf(a), customerId: a.customerId, event, at, data, ...envOf }), [a.id], deps)));
    }
    return out;
  }
  for (let i = 0; i < actions.length; i += d.batch.maxItems) {
    const chunk = actions.slice(i, i + d.batch.maxItems);
    const items = chunk.map((a) => ({ id: keyOf(a), customerId: a.customerId, event: a.payload.event, at: a.payload.at, data: a.payload.data }));
    const req = buildDeclaredBatchRequest(d, { batchKey: batchKeyOf(d.name, chunk), items, ...envOf });
    out.push(...(await send(d, req, chunk.map((a) => a.id), deps)));
  }
  return out;
}

/** The connector for a set of declarations: the bundled ones in production, a test's own in tests. */
export function declaredConnectorFor(byName: Record<string, DestinationDeclaration>): Connector {
  const lookup = (name: string) => (Object.hasOwn(byName, name) ? byName[name] : undefined);
  return {
    destination: "declared",
    maxBatch: Math.max(1, ...Object.values(byName).map((d) => d.batch?.maxItems ?? 1)),
    disabledReason(cfg: Config) {
      const all = Object.values(byName);
      if (all.length === 0) return "no destination is declared in plugins/";
      const ready = all.filter((d) => !("missing" in destinationEnv(d, cfg as unknown as Record<string, unknown>)));
      return ready.length > 0 ? null : `set ${all.flatMap((d) => Object.values(d.secrets)).join(" or ")}`;
    },
    async deliver(actions: OutboxAction[], deps: ConnectorDeps): Promise<DeliveryOutcome[]> {
      const out: DeliveryOutcome[] = [];
      const byPlugin = new Map<string, DeclaredAction[]>();
      for (const a of actions) {
        if (a.payload.type !== "declared.request") out.push({ id: a.id, status: "permanent", error: `a declared destination cannot deliver ${a.payload.type}` });
        else byPlugin.set(a.payload.plugin, [...(byPlugin.get(a.payload.plugin) ?? []), a as DeclaredAction]);
      }
      for (const [plugin, group] of byPlugin) {
        const d = lookup(plugin);
        if (!d) out.push(...group.map((a) => ({ id: a.id, status: "permanent" as const, error: `no declared destination named ${plugin}` })));
        else out.push(...(await deliverPlugin(d, group, deps)));
      }
      return out;
    },
  };
}

export const declaredConnector: Connector = declaredConnectorFor(declaredDestinations.byName);
