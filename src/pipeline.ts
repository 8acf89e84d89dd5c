import type { Action } from "./core/actions";
import type { TenureConfig } from "./core/config";
import type { NormalizedEvent, Subject } from "./core/events";
import { planActions, type AlertLog, type Snapshot } from "./core/plan";
import { planDeclaredRequests, planOutboundEvents, type DeclaredTarget } from "./plugins/outbound";
import { applyEvents } from "./core/reduce";
import { scoreCustomer } from "./core/snapshot";
import { type CustomerState, dayKey, emptyState } from "./core/state";
import { DAY, addDays, buildTimeline, dayClose, dayStart, maxDay, timelineRange, type StageChange, type TimelinePoint } from "./core/timeline";
import { trend } from "./core/trend";
import { claimReceived, markUnmatchedStmt, type InboxRow } from "./store/inbox";
import {
  ENRICHED_KINDS,
  PRIMARY_KINDS,
  keyString,
  linkIdentityStmt,
  lookupKeys,
  conflictStmts,
  unmatchedGuardStmt,
  eventKeys,
  type IdentityConflictRow,
  unmatchedKeyStmts,
  type IdentityKey,
} from "./store/identity";
import type { AppliedGuard } from "./store/apply-guard";
import { commitSteps, type CustomerUpdate, type Step } from "./pipeline-commit";
import { notStoredYet, type CarriedDelivery } from "./store/carried";
import { customerColumns, customerWrite, loadCustomers, type CustomerRow, type CustomerWrite, type StoredCustomer } from "./store/customers";
import { COPY_TIMELINE_DAYS, type CustomerCopies, type CustomerCopy } from "./shard/customer-copy";
import { makeCopy, readCopy } from "./core/timeline-copy";
import { loadTimelines, timelineStmts, type StoredPoint, type TimelineDeletes } from "./store/timeline";
import { insertActionStmts } from "./store/outbox";
import { timelineDueStmt } from "./store/timeline-due";
import { loadLoyaltyContexts, loyaltyStep, type LoyaltyContext } from "./loyalty";
import type { ProgramPosition } from "./store/loyalty";
import { log, errorFields } from "./log";
import { markErasureDoneStmt } from "./store/privacy";
import { ERASED, isPseudonym } from "./core/erasure";
import { entry } from "./core/keyed";
import { trialWithoutPaymentMethod } from "./core/subscriptions";
import { erasureIdFor, prepareErasure } from "./jobs/erase-start";
import { scrubErasedArrivals } from "./jobs/erase-arrivals";
import { firstValueStmts } from "./store/first-value";
import { identityResolver } from "./store/identity-resolve";
import { pointerIds } from "./store/merge";
import { mergeCustomers, type MergeOutcome } from "./jobs/merge";
import { associatedKeys, loadAssociations } from "./store/associations";
import { planEnrichment } from "./core/enrichment";
import { changedSightings, type Sighting, type StoredPerson } from "./core/contact-upsert";

type MergedStep = Extract<MergeOutcome, { status: "merged" }>;

/** The only place that joins storage, the pure core and the outbox. */

export interface PipelineDeps {
  db: D1Database;
  cfg: TenureConfig;
  now: number;
  /** HubSpot property writes wait this long so a burst coalesces into full batches. */
  hubspotCoalesceMs?: number;
  /** Slack alerts wait this long, then are re-checked against the customer before posting. */
  alertSettleMs?: number;
  /** A usage source is configured and has reported usage: the 24-hour first-value rule may alert (src/jobs/first-value.ts). */
  usageConnected?: boolean;
  /** WEBHOOK_OUT_URL is set: plan the Standard Webhooks stream's events (src/plugins/outbound.ts). */
  outboundWebhook?: boolean;
  /** Declared destinations whose secrets are set (src/plugins/destinations.ts). */
  declaredDestinations?: DeclaredTarget[];
  /** Account shards hold usage deliveries this long before applying them together (src/shard/hold.ts); 0 applies at once. */
  holdMs?: number;
}

export interface ProcessResult {
  /** Inbox ids committed as processed or unmatched. */
  done: string[];
  /** Inbox ids whose commit failed (a concurrent writer); the caller retries them. */
  retry: string[];
  /** Outbox ids created or re-opened: enqueue them. */
  actionIds: string[];
  /** Identity keys linked in this step: unmatched events waiting for them can be re-driven. */
  newKeys: IdentityKey[];
  /** Older parts of timelines this step did not recompute (bounded work): continue them as jobs. */
  timelineJobs: TimelineJob[];
  /** Erasures started by contact.privacyDeletion: send their first page (src/jobs/erase.ts). */
  erasureIds: string[];
}

/** Days of one customer's event-time timeline still to recompute. */
export interface TimelineJob {
  customerId: string;
  from: string;
  to: string;
  /** The record the job clears when done (src/store/timeline-due.ts): its last day and when it was written. */
  dueTo?: string;
  dueAt?: number;
}

/** A delivery that came on the queue (src/store/carried.ts), with the queue's count of its attempts. */
export type CarriedMessage = { d: CarriedDelivery; attempts: number; direct?: boolean };

export interface Resolved {
  row: InboxRow;
  customerId: string | null;
  keys: IdentityKey[];
  /** Keys not linked to anyone before this step. */
  fresh: IdentityKey[];
  /** Explicit ids that contradict each other: the event is refused (src/core/identity.ts). */
  conflicts?: IdentityConflictRow[];
  /** Retried: it would merge a customer this batch only now creates. */
  defer?: boolean;
  /** The stored rows of the people this row names, as resolution read them (the step writes only what changes). */
  people?: Record<string, StoredPerson>;
}

export async function processEvents(deps: PipelineDeps, eventIds: string[], carried: CarriedMessage[] = []): Promise<ProcessResult> {
  const { result, groups } = await resolveEvents(deps, eventIds, carried);
  return mergeResults(result, await applyGroups(deps, groups));
}

/** A batch's events, resolved: what one customer's step applies (src/shard/ applies it on the customer's shard). */
export type CustomerGroups = [customerId: string, group: Resolved[]][];

/**
 * The ordered part of a batch: claims its rows, starts erasures, resolves identities one row at a time (merging
 * customers that explicit ids prove are one), plans lookups and commits the unmatched. What it returns for each
 * customer is applied by `applyGroups`, on that customer's shard.
 */
export async function resolveEvents(deps: PipelineDeps, eventIds: string[], carried: CarriedMessage[] = []): Promise<{ result: ProcessResult; groups: CustomerGroups }> {
  const claimed = [...(await claimReceived(deps.db, eventIds)), ...(await notStoredYet(deps.db, carried))];
  const result = emptyResult();
  if (claimed.length === 0) return { result, groups: [] };
  const rows = await scrubErasedArrivals(deps.db, claimed, deps.now);
  rows.sort((a, b) => a.occurredAt - b.occurredAt || (a.id < b.id ? -1 : 1));
  const erasures = rows.filter((r) => r.events.length > 0 && r.events.every((e) => e.type === "contact.erased"));
  if (erasures.length > 0) {
    // Erasure does not wait for identity: the person's data goes whether or not they match a customer. It is a
    // paged job (every table, every payload); here it only starts, with an id the redelivery would derive again.
    const stmts: D1PreparedStatement[] = [];
    for (const r of erasures) {
      for (const e of r.events) {
        if (e.type !== "contact.erased") continue;
        const id = await erasureIdFor(e.id);
        stmts.push(...(await prepareErasure(deps.db, `hubspot:${e.contactId}`, id, deps.now)));
        result.erasureIds.push(id);
      }
      stmts.push(markErasureDoneStmt(deps.db, r, deps.now));
    }
    await deps.db.batch(stmts);
    result.done.push(...erasures.map((r) => r.id));
  }
  const rest = rows.filter((r) => !erasures.includes(r));

  const { resolved, enrichment, merges, known } = await resolveCustomers(deps, rest);
  for (const m of merges) {
    result.actionIds.push(...m.actionIds);
    if (m.timelineJob) result.timelineJobs.push(m.timelineJob);
  }
  result.retry.push(...resolved.filter((r) => r.defer).map((r) => r.row.id));
  if (enrichment.length > 0) {
    // Before the events commit: a retried step plans the same ids again, which the outbox ignores.
    await deps.db.batch(insertActionStmts(deps.db, enrichment, deps.now));
    result.actionIds.push(...enrichment.map((a) => a.id));
  }
  const unmatched = resolved.filter((r) => r.customerId === null && !r.defer);
  if (unmatched.length > 0) {
    const stmts = unmatched.flatMap((r) => [
      markUnmatchedStmt(deps.db, r.row, r.conflicts?.length ? `refused: ${r.conflicts[0]!.reason}` : unmatchedReason(r.keys, enrichment), deps.now),
      ...unmatchedKeyStmts(deps.db, r.row.id, r.keys),
      ...conflictStmts(deps.db, r.conflicts ?? [], deps.now),
    ]);
    const waiting = unmatched.flatMap((r) => r.keys.filter((k) => !known.has(keyString(k))));
    try {
      await deps.db.batch([unmatchedGuardStmt(deps.db, waiting), ...stmts]);
      result.done.push(...unmatched.map((r) => r.row.id));
    } catch (err) {
      log("info", "unmatched events retried: a key they wait for was linked meanwhile", { events: unmatched.length, ...errorFields(err) });
      result.retry.push(...unmatched.map((r) => r.row.id));
    }
  }

  const groups = new Map<string, Resolved[]>();
  for (const r of resolved) if (r.customerId) groups.set(r.customerId, [...(groups.get(r.customerId) ?? []), r]);
  return { result, groups: [...groups] };
}

/**
 * The per-customer part: loads each customer, applies its events, scores, plans and commits, customers
 * independent of each other. Run by the customer's shard (src/shard/account-shard.ts), one call at a time per
 * shard, so concurrent batches never race on one customer; in-process where there are no shards.
 */
export async function applyGroups(deps: PipelineDeps, list: CustomerGroups, copies?: CustomerCopies): Promise<ProcessResult> {
  const result = emptyResult();
  if (list.length === 0) return result;
  // A duplicate message claimed by a concurrent consumer may have been applied since this batch claimed it: the
  // commit's guard (src/store/apply-guard.ts) finds that row no longer `received` and the group is retried, so
  // no read of the inbox is spent here on what is rare.
  const groups = new Map<string, Resolved[]>(list);
  const ids = [...groups.keys()];
  const copied = copies?.get(ids) ?? new Map<string, CustomerCopy>();
  const stored = await loadCustomers(deps.db, ids, copied);
  // Resolved to a customer that a merge retired since: retried, its keys now resolve to the survivor.
  const retired = await pointerIds(deps.db, ids.filter((id) => !stored.has(id)));
  for (const id of retired) {
    result.retry.push(...groups.get(id)!.map((g) => g.row.id));
    groups.delete(id);
  }
  const since = new Map([...groups].map(([id, group]) => [id, timelineSince(stored.get(id) ?? null, group.flatMap((g) => g.row.events), deps.now)]));
  const history = new Map<string, StoredPoint[]>();
  for (const [id, from] of since) {
    const copy = copied.get(id)?.timeline;
    const read = copy ? readCopy(copy, from) : null;
    if (read) history.set(id, read);
  }
  for (const [id, points] of await loadTimelines(deps.db, [...since].filter(([id]) => !history.has(id)).map(([id, from]) => ({ id, since: from })))) history.set(id, points);

  const heldPositions = new Map([...copied].flatMap(([id, c]) => (c.position ? [[id, c.position] as const] : [])));
  const loyalty = await loadLoyaltyContexts(
    deps.db,
    [...groups].map(([customerId, group]) => ({ customerId, stored: stored.get(customerId) ?? null, events: group.flatMap((g) => g.row.events) })),
    deps.now,
    heldPositions,
  );
  const steps: Step[] = [];
  let sinceYield = 0;
  for (const [customerId, group] of groups) {
    // Scoring a full batch is tens of milliseconds of CPU; webhook requests sharing the isolate get a turn in between.
    if (++sinceYield > CUSTOMERS_PER_TURN) {
      sinceYield = 0;
      await yieldTurn();
    }
    try {
      const customer = stored.get(customerId) ?? null;
      const held = copied.has(customerId) ? heldKeys(customer!.externalIds) : null;
      steps.push({ customerId, group, since: since.get(customerId)!, ...applyStep(deps, customerId, group, customer, history.get(customerId) ?? [], loyalty.get(customerId)!, held) });
    } catch (err) {
      log("warn", "customer step failed; will retry", { customerId, events: group.length, ...errorFields(err) });
      result.retry.push(...group.map((g) => g.row.id));
    }
  }
  const committed = await commitSteps(deps.db, steps, result, deps.now);
  if (copies) {
    // A step that left older days to a timeline job keeps no timeline copy: the job rewrites them.
    const keepFrom = deps.now - COPY_TIMELINE_DAYS * DAY;
    copies.put(
      committed.map((s) => ({ row: s.row, externalIds: s.externalIds, timeline: s.timelineJob ? null : makeCopy(s.history, s.since, keepFrom), position: s.position })),
      deps.now,
    );
    const kept = new Set(committed.map((s) => s.customerId));
    copies.drop(ids.filter((id) => !kept.has(id)));
  }
  return result;
}

export function emptyResult(): ProcessResult {
  return { done: [], retry: [], actionIds: [], newKeys: [], timelineJobs: [], erasureIds: [] };
}

export function mergeResults(into: ProcessResult, ...parts: ProcessResult[]): ProcessResult {
  for (const p of parts) {
    into.done.push(...p.done);
    into.retry.push(...p.retry);
    into.actionIds.push(...p.actionIds);
    into.newKeys.push(...p.newKeys);
    into.timelineJobs.push(...p.timelineJobs);
    into.erasureIds.push(...p.erasureIds);
  }
  return into;
}

const CUSTOMERS_PER_TURN = 10;
const yieldTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Maps each row to a customer: explicit ids, then people, then email domain, then what vendor lookups
 * associated its ids with; creates a customer for a new primary id. Plans the lookups still missing.
 */
async function resolveCustomers(
  deps: PipelineDeps,
  rows: InboxRow[],
): Promise<{ resolved: Resolved[]; enrichment: Action[]; merges: MergedStep[]; known: ReadonlyMap<string, string> }> {
  const freeMail = new Set(deps.cfg.identity.freeMailDomains);
  const own = rows.map((row) => ({ row, keys: uniqueKeys(row.events.flatMap((e) => eventKeys(e, deps.cfg.identity, freeMail))) }));
  const associations = await loadAssociations(deps.db, own.flatMap((r) => r.keys));
  const rules = { freeMail, matchByDomain: deps.cfg.identity.matchByDomain };
  const perRow = own.map(({ row, keys }) => ({ row, keys: uniqueKeys([...keys, ...associatedKeys(keys, associations, rules)]) }));
  const { known, people } = await lookupKeys(deps.db, perRow.flatMap((r) => r.keys));
  const linkedBefore = new Map(known);
  const enrichment = planEnrichment(
    own.map(({ row, keys }) => ({
      id: row.id,
      vendorType: row.vendorType,
      keys,
      attached: keys.some((k) => known.has(`${k.kind}:${k.value}`) || (PRIMARY_KINDS as readonly string[]).includes(k.kind)),
    })),
    (k) => known.has(`${k.kind}:${k.value}`) || associations.has(`${k.kind}:${k.value}`),
  );
  const out: Resolved[] = [];
  const merges: MergedStep[] = [];
  const resolver = await identityResolver(deps.db, deps.cfg.identity, perRow.flatMap((r) => r.keys), known, async (survivorId, loserId, reason) => {
    const outcome = await mergeCustomers(deps, scoreStep, { survivorId, loserId, via: "auto", reason });
    if (outcome.status === "merged") merges.push(outcome);
    return outcome;
  });
  // In order, one row at a time: a key linked by one row must be seen by the next (same account, two sources).
  for (const { row, keys } of perRow) out.push({ row, keys, people: peopleOf(keys, people), ...(await resolver.resolve(row.id, row.source, keys)) });
  // A row resolved before a later row merged its customer away goes to the survivor.
  for (const r of out) if (r.customerId) r.customerId = resolver.current(r.customerId);
  return { resolved: out, enrichment, merges, known: linkedBefore };
}

function peopleOf(keys: readonly IdentityKey[], people: ReadonlyMap<string, StoredPerson>): Record<string, StoredPerson> {
  const out: Record<string, StoredPerson> = {};
  for (const k of keys) {
    const p = k.kind === "contact" ? people.get(k.value) : undefined;
    if (p) out[k.value] = p;
  }
  return out;
}

function unmatchedReason(keys: IdentityKey[], enrichment: Action[]): string {
  const waiting = keys.filter((k) => (ENRICHED_KINDS as readonly string[]).includes(k.kind));
  if (waiting.length === 0) return "no customer matches this event's ids or email domain yet";
  const planned = enrichment.length > 0 ? "; a lookup is planned in the outbox" : "";
  return `known only by ${waiting.map(keyString).join(", ")}: the vendor lookup has not tied it to a customer yet${planned} (a lookup skipped for a missing credential can be retried from the outbox once it is set)`;
}

function uniqueKeys(keys: IdentityKey[]): IdentityKey[] {
  const seen = new Set<string>();
  return keys.filter((k) => !seen.has(keyString(k)) && seen.add(keyString(k)));
}

/** `held`: the customer's ids as an account shard's copy gave them (the guard checks they are still exactly those). */
function applyStep(deps: PipelineDeps, customerId: string, group: Resolved[], stored: StoredCustomer | null, history: StoredPoint[], loyalty: LoyaltyContext, held: IdentityKey[] | null): Omit<Step, "customerId" | "group" | "since"> {
  const { db, now } = deps;
  const events = group.flatMap((g) => g.row.events).sort((a, b) => a.occurredAt - b.occurredAt || (a.id < b.id ? -1 : 1));
  // The guard checks the customer's version first, so the customer write needs no guard of its own; the customer
  // row and the timeline points come back apart, for a commit that merges several customers' (src/pipeline-commit.ts).
  const step = scoreStep(deps, customerId, stored, events, history, collectExternalIds(stored, group), loyalty, { versionChecked: true, merged: true });
  const newKeys: IdentityKey[] = [];
  const linking: IdentityKey[] = [];
  for (const g of group) {
    for (const k of g.fresh) {
      if (k.kind === "contact") continue;
      step.stmts.push(linkIdentityStmt(db, k, customerId, now));
      linking.push(k);
      newKeys.push(k);
    }
  }
  const people = new Map(group.flatMap((g) => Object.entries(g.people ?? {})));
  const contacts = changedContacts(group.flatMap((g) => g.row.events), customerId, newKeys, people);
  // Events waiting for a key this step links go back to `received` in the statement that links it
  // (migrations/0026_redrive_triggers.sql), inside this commit.
  const guard: AppliedGuard = { customerId, rows: group.map((g) => g.row), linking, expectedVersion: stored?.version ?? null, held, loyaltySeq: loyalty.positionHeld ? loyalty.position.seq : null };
  // The ids linked to the customer once this commits: the ones it had and the ones this step links.
  const externalIds = structuredClone(stored?.externalIds ?? {});
  for (const k of linking) if (!externalIds[k.kind]?.includes(k.value)) (externalIds[k.kind] ??= []).push(k.value);
  return {
    guard,
    update: step.update,
    stmts: step.stmts,
    points: step.points,
    stages: step.stages,
    contacts,
    actions: step.actions,
    newKeys,
    timelineJob: step.timelineJob,
    row: step.row,
    externalIds,
    history: step.history,
    position: step.position,
  };
}

/** How far back a step reads the timeline: the trend's 30 days, and the day before the earliest fact it recomputes. */
export function timelineSince(stored: StoredCustomer | null, events: readonly NormalizedEvent[], now: number): number {
  let since = now - TREND_DAYS * DAY;
  for (const e of events) since = Math.min(since, e.occurredAt - DAY);
  if (stored?.timelineThrough) since = Math.min(since, dayStart(stored.timelineThrough));
  return Math.max(0, since);
}

const TREND_DAYS = 31;

/**
 * Applies events (none for a time-driven recompute), scores, plans, and returns the statements of one
 * atomic commit: customer (version-guarded), the recomputed days of its event-time timeline, outbox rows.
 * `history` is the stored timeline from `timelineSince` on.
 */
export function scoreStep(
  deps: PipelineDeps,
  customerId: string,
  stored: StoredCustomer | null,
  events: NormalizedEvent[],
  history: StoredPoint[],
  externalIds: Record<string, string[]>,
  loyalty?: LoyaltyContext,
  opts: { versionChecked?: boolean; merged?: boolean } = {},
): {
  stmts: D1PreparedStatement[];
  /** With `merged`: an existing customer's row, the timeline points and stage changes, left out of `stmts` for the commit to write. */
  update: CustomerUpdate | null;
  points: TimelinePoint[];
  stages: StageChange[];
  actions: Action[];
  snapshot: Snapshot;
  timelineJob: TimelineJob | null;
  row: CustomerRow;
  history: StoredPoint[];
  /** The loyalty position still true once this commits (null when unknown, or moved by the step's own writes). */
  position: ProgramPosition | null;
} {
  const { db, cfg, now } = deps;
  const state = applyEvents(stored?.state ?? emptyState(), events);
  const timeline = timelineStep(deps, customerId, stored, state, events, history, opts.merged === true);
  const prevHealth = stored?.health ?? null;
  const scored = scoreCustomer(state, now, cfg, prevHealth?.band, { d7: null, d30: null });
  const t = trend([...timeline.history, { at: now, score: scored.health.score }], now);
  const after: Snapshot = { ...scored.snapshot, trend: t };
  const beforeSnap = stored && prevHealth ? previousSnapshot(stored) : null;
  const name = state.profile.name?.value ?? state.profile.domain?.value ?? customerId;
  const plan = planActions({
    customerId,
    name,
    hubspotCompanyId: externalIds.hubspot?.[0],
    hubspotCompanyNew: externalIds.hubspot?.[0] !== undefined && !(stored?.externalIds.hubspot ?? []).includes(externalIds.hubspot[0]),
    hubspotOwnerId: state.crm.properties.hubspot_owner_id?.value ?? undefined,
    before: beforeSnap,
    after,
    events,
    history: timeline.history,
    alerts: stored?.alerts ?? ({} as AlertLog),
    causeAt: events.length ? events.reduce((m, e) => Math.max(m, e.occurredAt), 0) : now,
    now,
    rules: cfg.alerts,
    stillTrue: stillTrue(state),
    usageConnected: deps.usageConnected,
    firstValueDueAt: scored.stage.onboarding.firstValueDueAt,
  });
  const write: CustomerWrite = {
    id: customerId,
    expectedVersion: stored?.version ?? null,
    name: state.profile.name?.value ?? null,
    domain: state.profile.domain?.value ?? null,
    state,
    health: { ...scored.health, trend: t, snapshot: after },
    score: after.score,
    band: after.band,
    stage: after.stage,
    stageSince: stageSince(stored, after, now, timeline.lastChange),
    mrr: after.mrr,
    currency: after.currency ?? null,
    alerts: plan.alerts,
    timelineThrough: timeline.through,
    now,
    versionChecked: opts.versionChecked,
  };
  let update: CustomerUpdate | null = null;
  let stmts: D1PreparedStatement[] = [];
  let row: CustomerRow;
  if (opts.merged && write.expectedVersion !== null) {
    const columns = customerColumns(write);
    update = { w: write, cols: columns.cols };
    row = columns.row;
  } else ({ stmts, row } = customerWrite(db, write));
  stmts.push(...timeline.stmts);
  stmts.push(...firstValueStmts(db, cfg.lifecycle, customerId, stored?.state ?? null, state, now));
  stmts.push(...insertActionStmts(db, plan.actions, now, deps.hubspotCoalesceMs ?? 0, deps.alertSettleMs ?? 0));
  // Loyalty (src/loyalty.ts): referral rows, ledger rows and reward actions commit with the customer.
  const rewards = loyalty ? loyaltyStep(deps, { customerId, state, events, snapshot: after, onboarding: scored.stage.onboarding, externalIds, loyalty }) : null;
  if (rewards) stmts.push(...rewards.stmts);
  const actions = rewards ? [...plan.actions, ...rewards.actions] : plan.actions;
  // The Standard Webhooks stream (connectors/webhook-out.ts) and declared destinations (connectors/declared.ts), when configured.
  const targets = deps.declaredDestinations ?? [];
  const announced = deps.outboundWebhook || targets.length > 0 ? planOutboundEvents({ customerId, name, before: beforeSnap, after, planned: actions, causeAt: events.length ? events.reduce((m, e) => Math.max(m, e.occurredAt), 0) : now }) : [];
  const outbound = [...(deps.outboundWebhook ? announced : []), ...planDeclaredRequests(announced, targets, after)];
  stmts.push(...insertActionStmts(db, outbound, now));
  const position = loyalty && rewards && !rewards.movesPosition && loyalty.position.seq !== null ? loyalty.position : null;
  return { stmts, update, points: timeline.points, stages: timeline.stages, actions: [...actions, ...outbound], snapshot: after, timelineJob: timeline.job, row, history: timeline.history, position };
}

/**
 * Recomputes the days the step's facts touch (and any days since the timeline was last computed), at
 * most TIMELINE_DAYS_PER_STEP of them; an older remainder becomes a job. Returns the statements, the
 * timeline as it now stands (for the trend and the drop alert), and the day it is computed through.
 */
function timelineStep(deps: PipelineDeps, customerId: string, stored: StoredCustomer | null, state: CustomerState, events: readonly NormalizedEvent[], history: StoredPoint[], pointsApart: boolean) {
  const through = stored?.timelineThrough ?? null;
  const today = dayKey(deps.now);
  const newest = events.reduce((m, e) => Math.max(m, e.occurredAt), -Infinity);
  let toDay = events.length === 0 ? today : maxDay(through ?? dayKey(newest), dayKey(newest));
  if (toDay > today) toDay = today;
  const earliest = events.length ? events.reduce((m, e) => Math.min(m, e.occurredAt), Infinity) : null;
  const range = timelineRange({ firstSeenAt: state.profile.firstSeenAt, through, earliestFact: earliest, toDay });
  if (!range) return { stmts: [] as D1PreparedStatement[], points: [] as TimelinePoint[], stages: [] as StageChange[], history, through, job: null, lastChange: null };
  const fromAt = dayStart(range.from);
  const toAt = dayClose(range.to);
  const prev = [...history].reverse().find((p) => p.at < fromAt) ?? null;
  // The range starts at or after the last computed day and leaves nothing older to a job: the point before it
  // is final, and its first day is stored only if it differs (see buildTimeline).
  const continues = through !== null && range.from >= through && range.deferred === null;
  const built = buildTimeline(state, deps.cfg, range, deps.now, prev, continues);
  const kept = history.filter((p) => p.at < fromAt || p.at > toAt);
  const recomputed = built.points.map(toStored);
  const merged = [...kept, ...recomputed].sort((a, b) => a.at - b.at);
  // A live step recomputes today with every event: a point already stored as it is (the history holds the range) is not written again.
  const inRange = new Map(history.filter((p) => p.at >= fromAt && p.at <= toAt).map((p) => [p.at, p]));
  const written = built.points.filter((p, i) => !sameStored(inRange.get(p.at), recomputed[i]!));
  const deletes = replaced(history, prev, fromAt, toAt, built.points, through === null || range.from > through);
  // The older days are left to a job sent after the commit; the commit records them, so a job lost on the way is sent again.
  const job = range.deferred ? { customerId, ...range.deferred, dueTo: range.deferred.to, dueAt: deps.now } : null;
  const stmts = timelineStmts(deps.db, customerId, fromAt, toAt, built.points, built.stages, deletes, pointsApart ? [] : written, pointsApart ? [] : built.stages);
  if (job) stmts.push(timelineDueStmt(deps.db, job));
  return {
    // Merged: the points are written by the commit, with other customers' (src/pipeline-commit.ts).
    stmts,
    points: pointsApart ? written : [],
    stages: pointsApart ? built.stages : [],
    history: merged,
    through: through === null || range.to > through ? range.to : through,
    job,
    lastChange: built.stages.at(-1) ?? null,
  };
}

/**
 * Which stored rows of the range a recompute may have to delete. Days after the last computed one hold none.
 * Otherwise `history` holds the range (it reaches back past every range a step with events recomputes), and a
 * stage change is stored only on a day that holds a point: a range whose stored points all stay, with no stage
 * change among them, has nothing to delete.
 */
function replaced(history: StoredPoint[], prev: StoredPoint | null, fromAt: number, toAt: number, points: readonly TimelinePoint[], fresh: boolean): TimelineDeletes {
  if (fresh) return { scores: false, stages: false };
  const inRange = history.filter((p) => p.at >= fromAt && p.at <= toAt);
  const ats = new Set(points.map((p) => p.at));
  const removed = inRange.some((p) => !ats.has(p.at));
  let stage = prev?.stage ?? null;
  const moved = inRange.some((p) => {
    const changed = p.stage !== stage;
    stage = p.stage;
    return changed;
  });
  return { scores: removed, stages: removed || moved };
}

function toStored(p: TimelinePoint): StoredPoint {
  return { at: p.at, score: p.score, band: p.band, stage: p.stage, modelVersion: p.modelVersion, components: JSON.stringify(p.components) };
}

function sameStored(s: StoredPoint | undefined, t: StoredPoint): boolean {
  return s !== undefined && s.score === t.score && s.band === t.band && s.stage === t.stage && s.modelVersion === t.modelVersion && s.components === t.components;
}

/** Facts an alert must still find true when it is planned (a late delivery can be already resolved). */
function stillTrue(state: CustomerState) {
  const subs = state.billing.subscriptions;
  return {
    cancelScheduled: (subscriptionId: string) => {
      const s = subs[subscriptionId];
      return s !== undefined && s.status !== "canceled" && s.status !== "incomplete_expired" && (s.cancelAtPeriodEnd || s.cancelAt !== undefined);
    },
    invoiceUnpaid: (invoiceId: string) => entry(state.billing.invoices, invoiceId) === undefined,
    trialWithoutPaymentMethod: (subscriptionId: string) => trialWithoutPaymentMethod(state)?.subscriptionId === subscriptionId,
  };
}

function previousSnapshot(stored: StoredCustomer): Snapshot | null {
  const h = stored.health as (StoredCustomer["health"] & { snapshot?: Snapshot }) | null;
  return h?.snapshot ?? null;
}

/** When the current stage began: the timeline knows lapses and returns that the facts' own `since` does not. */
function stageSince(stored: StoredCustomer | null, after: Snapshot, now: number, lastChange: StageChange | null): number | null {
  if (lastChange && lastChange.to === after.stage) return lastChange.at;
  if (stored?.stage === after.stage && stored.stageSince !== null) return stored.stageSince;
  if (after.stageSince !== null) return after.stageSince;
  if (stored?.stage === after.stage) return stored.stageSince;
  return now;
}

function heldKeys(externalIds: Record<string, string[]>): IdentityKey[] {
  return Object.entries(externalIds).flatMap(([kind, values]) => values.map((value) => ({ kind, value }) as IdentityKey));
}

function collectExternalIds(stored: StoredCustomer | null, group: Resolved[]): Record<string, string[]> {
  const ids: Record<string, string[]> = structuredClone(stored?.externalIds ?? {});
  for (const g of group) for (const k of g.keys) if (k.kind !== "contact" && !ids[k.kind]?.includes(k.value)) (ids[k.kind] ??= []).push(k.value);
  return ids;
}

/** People seen in these events: the only place their personal data is written. */
function changedContacts(events: readonly NormalizedEvent[], customerId: string, newKeys: IdentityKey[], stored: ReadonlyMap<string, StoredPerson>): Sighting[] {
  const seen: Sighting[] = [];
  const person = (id: string, s: Subject, extra: { email?: string; role?: string; name?: string } = {}) => {
    // An erased person's facts carry a pseudonym and "[erased]": no contact is made of them.
    if (id.startsWith("segment:") && isPseudonym(id.slice(8))) return;
    const kept = (v: string | undefined) => (v === ERASED ? undefined : v);
    seen.push({ id, customerId, email: kept(extra.email ?? s.email), name: kept(extra.name), role: extra.role });
    newKeys.push({ kind: "contact", value: id });
  };
  for (const e of events) {
    if (e.type === "contact.erased") continue;
    if (e.type === "contact.changed") person(`hubspot:${e.contactId}`, e.subject, { email: e.email, role: e.role });
    else if (e.type === "user.identified") person(`segment:${e.userId}`, e.subject, { email: e.email, role: e.role, name: e.name });
    else if (e.subject.hubspotContactId) person(`hubspot:${e.subject.hubspotContactId}`, e.subject);
    else if (e.subject.userId) person(`segment:${e.subject.userId}`, e.subject);
  }
  return changedSightings(stored, seen);
}

export type { Action };
