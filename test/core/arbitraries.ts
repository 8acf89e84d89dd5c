import fc from "fast-check";
import type { EventOf, NormalizedEvent } from "../../src/core/events";
import { type HealthModel, healthModelSchema } from "../../src/core/health";

/**
 * fast-check arbitraries for NormalizedEvent, shaped like what the webhook sources produce for one
 * customer. Ids follow the sources' rule (`${source}:${dedupe key}`): facts stored in keyed maps
 * (an invoice, a payment attempt, a checkout, a dispute) take their id from that key, so two events
 * with the same id are replays of one fact. Attributes a vendor never changes (a subscription's
 * start and trial, a survey response's comment, a customer's currency and referral code, a ticket's
 * subject) are fixed per entity; everything else varies freely between events.
 */

export const DAY = 86_400_000;
export const T0 = Date.UTC(2026, 0, 1);
/** Event times span 200 days from T0. */
export const arbAt = fc.integer({ min: T0, max: T0 + 200 * DAY });
/** A `now` that may fall before, among or after the events. */
export const arbNow = fc.integer({ min: T0 - 10 * DAY, max: T0 + 260 * DAY });

const nat = fc.nat({ max: 1_000_000 });
const small = (max: number) => fc.integer({ min: 0, max });
const money = fc.integer({ min: 0, max: 50_000 });
const CURRENCY = "usd";
export const usageEventNames = ["login", "report_created", "export", "invite_sent", "dashboard_viewed"] as const;

const arbSubject = fc.record(
  {
    stripeCustomerId: fc.constant("cus_1"),
    hubspotCompanyId: fc.constant("co_1"),
    name: fc.constantFrom("Acme", "Acme Inc"),
    domain: fc.constantFrom("acme.test", "acme.example"),
  },
  { requiredKeys: [] },
);

function ev<T extends NormalizedEvent["type"]>(
  type: T,
  source: NormalizedEvent["source"],
  fields: fc.Arbitrary<Omit<EventOf<T>, "type" | "source" | "occurredAt" | "subject" | "id"> & { key: string }>,
): fc.Arbitrary<EventOf<T>> {
  return fc.record({ f: fields, occurredAt: arbAt, subject: arbSubject }).map(
    ({ f: { key, ...rest }, occurredAt, subject }) =>
      ({ ...rest, type, source, id: `${source}:${type}:${key}`, occurredAt, subject }) as unknown as EventOf<T>,
  );
}

export const arbInvoicePaid = ev(
  "invoice.paid",
  "stripe",
  fc.record({ k: small(7), reason: fc.constantFrom("first", "renewal", "other" as const), amountPaid: money, sub: small(2) }).map(
    ({ k, reason, amountPaid, sub }) => ({
      key: `in_${k}`,
      invoiceId: `in_${k}`,
      reason,
      amountPaid,
      currency: CURRENCY,
      subscriptionId: `sub_${sub}`,
    }),
  ),
);

export const arbPaymentFailed = ev(
  "payment.failed",
  "stripe",
  fc.record({ k: small(7), attempt: fc.integer({ min: 1, max: 4 }), next: fc.option(arbAt, { nil: null }), amountDue: money }).map(
    ({ k, attempt, next, amountDue }) => ({
      key: `in_${k}:${attempt}`,
      invoiceId: `in_${k}`,
      attemptCount: attempt,
      nextAttemptAt: next,
      amountDue,
      currency: CURRENCY,
    }),
  ),
);

const statuses = ["trialing", "active", "past_due", "unpaid", "paused", "canceled", "incomplete", "incomplete_expired"] as const;

/** A subscription's start and trial never change in Stripe, so they are a function of its id. */
export function subscriptionOrigin(k: number): { startedAt: number; trialStart?: number; trialEnd?: number } {
  const startedAt = T0 + k * 10 * DAY;
  return k === 1 ? { startedAt, trialStart: startedAt, trialEnd: startedAt + 14 * DAY } : { startedAt };
}

export const arbSubscriptionChanged: fc.Arbitrary<EventOf<"subscription.changed">> = fc
  .record({
    k: small(2),
    n: nat,
    status: fc.constantFrom(...statuses),
    mrr: money,
    quantity: fc.option(small(20), { nil: undefined }),
    cancelAtPeriodEnd: fc.boolean(),
    change: fc.option(
      fc.record({ direction: fc.constantFrom("upgrade", "downgrade", "none" as const), previousMrr: money }),
      { nil: undefined },
    ),
    cancellation: fc.option(fc.record({ reason: fc.constantFrom("cancellation_requested", "payment_failed") }), { nil: undefined }),
    occurredAt: arbAt,
    subject: arbSubject,
  })
  .map(({ k, n, status, quantity, occurredAt, change, cancellation, ...rest }) => ({
    ...rest,
    type: "subscription.changed" as const,
    source: "stripe" as const,
    id: `stripe:evt_sub_${n}`,
    occurredAt,
    subscriptionId: `sub_${k}`,
    status,
    currency: CURRENCY,
    ...(quantity !== undefined ? { quantity } : {}),
    ...subscriptionOrigin(k),
    currentPeriodEnd: occurredAt + 30 * DAY,
    ...(status === "canceled" ? { canceledAt: occurredAt, endedAt: occurredAt } : {}),
    ...(status === "canceled" && cancellation ? { cancellation } : {}),
    ...(change ? { change } : {}),
  }));

export const arbTrialEnding = ev(
  "trial.ending",
  "stripe",
  fc.record({ n: nat, trialEnd: arbAt }).map(({ n, trialEnd }) => ({ key: `te_${n}`, subscriptionId: "sub_1", trialEnd })),
);

export const arbCheckoutCompleted = ev(
  "checkout.completed",
  "stripe",
  fc.record({ k: small(3), amountTotal: money }).map(({ k, amountTotal }) => ({
    key: `cs_${k}`,
    sessionId: `cs_${k}`,
    amountTotal,
    currency: CURRENCY,
    subscriptionId: `sub_${k % 3}`,
  })),
);

export const arbChargeRefunded = ev(
  "charge.refunded",
  "stripe",
  fc.record({ k: small(3), n: nat, amount: money }).map(({ k, n, amount }) => ({
    key: `ch_${k}:${n}`,
    chargeId: `ch_${k}`,
    invoiceId: `in_${k}`,
    amountRefunded: amount,
    currency: CURRENCY,
  })),
);

export const arbDisputeCreated = ev(
  "dispute.created",
  "stripe",
  fc.record({ k: small(3), amount: money }).map(({ k, amount }) => ({
    key: `dp_${k}`,
    disputeId: `dp_${k}`,
    chargeId: `ch_${k}`,
    amount,
    currency: CURRENCY,
  })),
);

export const arbCustomerProfile = ev(
  "customer.profile",
  "stripe",
  fc.record({ n: nat, name: fc.constantFrom("Acme", "Acme Inc") }).map(({ n, name }) => ({
    key: `cus_${n}`,
    name,
    currency: CURRENCY,
    referralCode: "REF1",
    metadata: {},
  })),
);

const crmProperty = fc.constantFrom(
  "hubspot_owner_id",
  "notes_last_contacted",
  "hs_last_sales_activity_timestamp",
  "renewal_date",
  "lifecyclestage",
  "name",
);
const crmValue = fc.oneof(
  fc.constant(null),
  fc.constantFrom("123", "", "customer", "Acme"),
  arbAt.map(String),
  arbAt.map((t) => new Date(t).toISOString()),
);

export const arbCompanyChanged = ev(
  "company.changed",
  "hubspot",
  fc.record({ n: nat, props: fc.dictionary(crmProperty, crmValue, { maxKeys: 3 }), created: fc.boolean() }).map(
    ({ n, props, created }) => ({ key: `${n}`, companyId: "co_1", created, properties: props }),
  ),
);

export const arbCompanyRemoved = ev(
  "company.removed",
  "hubspot",
  fc.record({ n: nat, into: fc.option(fc.constantFrom("co_2", "co_3"), { nil: undefined }) }).map(({ n, into }) => ({
    key: `rm_${n}`,
    companyId: "co_1",
    ...(into ? { mergedInto: into } : {}),
  })),
);

export const arbContactChanged = ev(
  "contact.changed",
  "hubspot",
  fc.record({ n: nat, c: small(3), role: fc.option(fc.constantFrom("admin", "user", "Billing"), { nil: undefined }) }).map(
    ({ n, c, role }) => ({ key: `ct_${n}`, contactId: `ct_${c}`, ...(role ? { role } : {}), properties: {} }),
  ),
);

export const arbContactErased = ev(
  "contact.erased",
  "hubspot",
  fc.record({ n: nat, c: small(3) }).map(({ n, c }) => ({ key: `erase_${n}`, contactId: `ct_${c}` })),
);

export const arbDealChanged = ev(
  "deal.changed",
  "hubspot",
  fc
    .record(
      {
        stage: fc.constantFrom("appointmentscheduled", "contractsent", "closedwon", "closedlost"),
        status: fc.constantFrom("open", "won", "lost" as const),
        amount: fc.integer({ min: 0, max: 100_000 }),
        closeDate: arbAt,
      },
      { requiredKeys: [] },
    )
    .chain((fields) => fc.record({ n: nat, d: small(2) }).map(({ n, d }) => ({ key: `deal_${n}`, dealId: `d_${d}`, ...fields }))),
);

export const arbTicketChanged = ev(
  "ticket.changed",
  "zendesk",
  fc
    .record(
      {
        status: fc.constantFrom("open", "pending", "solved", "closed" as const),
        priority: fc.constantFrom("low", "normal", "high", "urgent" as const),
        csat: fc.integer({ min: 0, max: 100 }),
        slaBreached: fc.boolean(),
        openedAt: arbAt,
        tags: fc.array(fc.constantFrom("billing", "bug", "vip"), { maxLength: 2 }),
      },
      { requiredKeys: [] },
    )
    .chain((fields) =>
      fc.record({ n: nat, t: small(4) }).map(({ n, t }) => ({
        key: `tk_${n}`,
        desk: "zendesk" as const,
        ticketId: `t_${t}`,
        subject: `Ticket ${t}`,
        ...fields,
      })),
    ),
);

export const arbUsageTracked = ev(
  "usage.tracked",
  "segment",
  fc.record({ n: nat, u: small(4), e: fc.constantFrom(...usageEventNames) }).map(({ n, u, e }) => ({
    key: `${n}`,
    userId: `u_${u}`,
    event: e,
  })),
);

export const arbUserIdentified = ev(
  "user.identified",
  "segment",
  fc.record({ n: nat, u: small(4), role: fc.option(fc.constantFrom("admin", "member", "Owner"), { nil: undefined }) }).map(
    ({ n, u, role }) => ({ key: `id_${n}`, userId: `u_${u}`, ...(role ? { role } : {}) }),
  ),
);

export const arbAccountGrouped = ev(
  "account.grouped",
  "segment",
  fc
    .record(
      { userId: small(4).map((u) => `u_${u}`), seats: small(30), plan: fc.constantFrom("pro", "team") },
      { requiredKeys: [] },
    )
    .chain((fields) => nat.map((n) => ({ key: `grp_${n}`, groupId: "g_1", ...fields }))),
);

export const arbSurveyResponded = ev(
  "survey.responded",
  "delighted",
  fc.record({ n: nat, r: small(2), score: fc.integer({ min: 0, max: 10 }), withComment: fc.boolean() }).map(
    ({ n, r, score, withComment }) => ({
      key: `sr_${n}`,
      responseId: `r_${r}`,
      score,
      // A response's comment is one text; some deliveries carry it and some do not.
      ...(withComment && r > 0 ? { comment: `Comment on response ${r}` } : {}),
    }),
  ),
);

export const arbLoyaltyActivity = ev(
  "loyalty.activity",
  "api",
  fc.record({ kind: fc.constantFrom("review_submitted", "social_share"), ref: small(5) }).map(({ kind, ref }) => ({
    key: `${kind}:${ref}`,
    kind,
    ref: `ref_${ref}`,
  })),
);

/** Events no health component reads: they must leave the score untouched. */
export const arbIrrelevantEvent: fc.Arbitrary<NormalizedEvent> = fc.oneof(arbLoyaltyActivity, arbCustomerProfile);

export const arbEvent: fc.Arbitrary<NormalizedEvent> = fc.oneof(
  arbInvoicePaid,
  arbPaymentFailed,
  arbSubscriptionChanged,
  arbTrialEnding,
  arbCheckoutCompleted,
  arbChargeRefunded,
  arbDisputeCreated,
  arbCustomerProfile,
  arbCompanyChanged,
  arbCompanyRemoved,
  arbContactChanged,
  arbContactErased,
  arbDealChanged,
  arbTicketChanged,
  arbUsageTracked,
  arbUserIdentified,
  arbAccountGrouped,
  arbSurveyResponded,
  arbLoyaltyActivity,
);

/** A customer's event log: one event per id (same id = same fact). */
export function arbEventLog(maxLength = 40): fc.Arbitrary<NormalizedEvent[]> {
  return fc.uniqueArray(arbEvent, { selector: (e) => e.id, maxLength });
}

/** Health models with arbitrary weights (some zero), thresholds and overrides, all valid under the schema. */
export const arbHealthModel: fc.Arbitrary<HealthModel> = fc
  .record({
    weights: fc.record({
      billing: small(50),
      support: small(50),
      usage: small(50),
      sentiment: small(50),
      relationship: small(50),
    }),
    red: fc.integer({ min: 10, max: 60 }),
    gap: fc.integer({ min: 1, max: 30 }),
    hysteresis: small(10),
    overrideUsage: fc.option(small(80), { nil: undefined }),
    maxDrivers: fc.integer({ min: 1, max: 8 }),
  })
  .map(({ weights, red, gap, hysteresis, overrideUsage, maxDrivers }) =>
    healthModelSchema.parse({
      weights,
      bands: { red, green: red + gap, hysteresis },
      overrides: overrideUsage === undefined ? [] : [{ when: { stage: ["onboarding", "renewal"] }, weights: { usage: overrideUsage } }],
      maxDrivers,
    }),
  );

export const arbBand = fc.option(fc.constantFrom("green", "yellow", "red" as const), { nil: undefined });
