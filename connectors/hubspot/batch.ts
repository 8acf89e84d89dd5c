import { z } from "zod";
import type { ActionPayload } from "../../src/core/actions";
import type { ConnectorDeps, DeliveryOutcome, OutboxAction } from "../connector";
import { callHubSpot, classifyHubSpotFailure, describeHubSpotError, networkFailure, type HubSpotFailure } from "./http";

type PropertiesPayload = Extract<ActionPayload, { type: "hubspot.properties" }>;

/** "Batch operations are limited to 100 records at a time." */
export const MAX_BATCH = 100;
/** Extra calls one delivery may spend isolating the bad inputs of a rejected batch. */
const SPLIT_BUDGET = 16;
const PATH = "/crm/v3/objects/companies/batch/update";

export interface BatchInput {
  id: string;
  properties: Record<string, string>;
  actionIds: string[];
}

type Verdict = { status: "delivered" } | HubSpotFailure;
const DELIVERED: Verdict = { status: "delivered" };

/** Once HubSpot says "not now", the rest of this delivery is not sent; it shares that answer. */
export interface Gate {
  failure?: HubSpotFailure;
}

/**
 * One input per company, in first-seen order. HubSpot refuses a batch that names a record twice,
 * so several actions for one company merge, later values winning key by key.
 */
export function coalesce(actions: OutboxAction<PropertiesPayload>[]): BatchInput[] {
  const byCompany = new Map<string, BatchInput>();
  for (const a of actions) {
    const input = byCompany.get(a.payload.companyId) ?? { id: a.payload.companyId, properties: {}, actionIds: [] };
    Object.assign(input.properties, a.payload.properties);
    input.actionIds.push(a.id);
    byCompany.set(input.id, input);
  }
  return [...byCompany.values()];
}

export async function deliverProperties(
  actions: OutboxAction<PropertiesPayload>[],
  deps: ConnectorDeps,
  gate: Gate,
): Promise<DeliveryOutcome[]> {
  const inputs = coalesce(actions);
  const ctx = { deps, gate, budget: SPLIT_BUDGET };
  const verdicts = new Map<string, Verdict>();
  for (let i = 0; i < inputs.length; i += MAX_BATCH) {
    for (const [id, v] of await sendBatch(inputs.slice(i, i + MAX_BATCH), ctx)) verdicts.set(id, v);
  }
  return inputs.flatMap((input) => {
    const v = verdicts.get(input.id) ?? { status: "retry", error: "HubSpot batch not sent" };
    return input.actionIds.map((id): DeliveryOutcome => ({ id, ...v }));
  });
}

interface BatchContext {
  deps: ConnectorDeps;
  gate: Gate;
  budget: number;
}

const each = (inputs: BatchInput[], v: Verdict) => new Map(inputs.map((i) => [i.id, v]));

async function sendBatch(inputs: BatchInput[], ctx: BatchContext): Promise<Map<string, Verdict>> {
  if (ctx.gate.failure) return each(inputs, { ...ctx.gate.failure, error: `not sent: ${ctx.gate.failure.error}` });
  let reply;
  try {
    // https://developers.hubspot.com/docs/reference/api/crm/objects/companies#post-%2Fcrm%2Fv3%2Fobjects%2Fcompanies%2Fbatch%2Fupdate
    reply = await callHubSpot(ctx.deps, "POST", PATH, {
      inputs: inputs.map(({ id, properties }) => ({ id, properties })),
    });
  } catch (err) {
    ctx.gate.failure = networkFailure(err);
    return each(inputs, ctx.gate.failure);
  }
  if (reply.status === 200) return each(inputs, DELIVERED);
  if (reply.status === 207) return multiStatus(inputs, reply.body, describeHubSpotError(reply));
  const failure = classifyHubSpotFailure(reply, ctx.deps.now());
  if (failure.status === "retry") ctx.gate.failure = failure;
  // A 400 rejects the whole batch for one bad input without naming it: halve until it is found,
  // so the good inputs still land.
  if (reply.status === 400 && inputs.length > 1 && ctx.budget >= 2) {
    ctx.budget -= 2;
    const mid = Math.ceil(inputs.length / 2);
    const left = await sendBatch(inputs.slice(0, mid), ctx);
    const right = await sendBatch(inputs.slice(mid), ctx);
    return new Map([...left, ...right]);
  }
  return each(inputs, failure);
}

const multiStatusSchema = z.looseObject({
  results: z.array(z.looseObject({ id: z.coerce.string() })).default([]),
  errors: z
    .array(
      z.looseObject({
        message: z.string().default("error"),
        category: z.string().optional(),
        context: z.looseObject({ ids: z.array(z.coerce.string()).optional() }).optional(),
      }),
    )
    .default([]),
});

/** 207: the records in `results` were written; those named by an error were not and will not be. */
function multiStatus(inputs: BatchInput[], body: unknown, summary: string): Map<string, Verdict> {
  const parsed = multiStatusSchema.safeParse(body);
  if (!parsed.success) return each(inputs, { status: "retry", error: `${summary} (unreadable multi-status body)` });
  const written = new Set(parsed.data.results.map((r) => r.id));
  const failed = new Map<string, string>();
  for (const e of parsed.data.errors) {
    for (const id of e.context?.ids ?? []) failed.set(id, `HubSpot 207 ${e.category ?? "error"}: ${e.message}`);
  }
  return new Map(
    inputs.map((input): [string, Verdict] => {
      const error = failed.get(input.id);
      if (error) return [input.id, { status: "permanent", error, httpStatus: 207 }];
      if (written.has(input.id)) return [input.id, DELIVERED];
      return [input.id, { status: "retry", error: `${summary} (record not in results)`, httpStatus: 207 }];
    }),
  );
}
