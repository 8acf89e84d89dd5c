import { z } from "zod";

/**
 * The loyalty program's rules: configuration, versioned, validated at the edge (TENURE_CONFIG `rewards`).
 * Maps keyed by kind or currency merge over the defaults, so an override names only what it changes.
 */

const minor = z.number().int().nonnegative();
/** Amounts in minor units per lowercase ISO currency, merged over `defaults`. */
const perCurrency = (defaults: Record<string, number>) =>
  z
    .record(z.string().regex(/^[a-z]{3}$/, "currency keys are lowercase ISO codes"), minor)
    .default({})
    .transform((v) => ({ ...defaults, ...v }));
const mergedRecord = <V extends z.ZodType>(value: V, defaults: Record<string, z.output<V>>) =>
  z
    .record(z.string(), value)
    .default({})
    .transform((v) => ({ ...defaults, ...v }) as Record<string, z.output<V>>);

export const DEFAULT_EARN = {
  referral_qualified: 500,
  review_submitted: 100,
  social_share: 25,
  onboarding_completed: 200,
  renewal: 300,
  anniversary: 250,
  birthday: 100,
};

/** Segment track event names -> loyalty kinds. */
export const DEFAULT_TRACK_EVENTS = {
  "Review Submitted": "review_submitted",
  "Social Share": "social_share",
  "Shared On Social": "social_share",
  "Onboarding Completed": "onboarding_completed",
};

export const referralRulesSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** The Stripe coupon behind every referral promotion code: the friend's discount at checkout. */
  coupon: z.string().min(1).default("tenure-referral-friend"),
  codePrefix: z.string().regex(/^[A-Z0-9-]*$/, "codePrefix: upper-case letters, digits and dashes").max(12).default("FRIEND-"),
  /** Who gets a code without asking: paying customers (purchase to loyalty stage), or every customer not churned. */
  eligible: z.enum(["paying", "all"]).default("paying"),
  /**
   * Also make the code in the step that makes a customer eligible, rather than at the next daily run. Off by default:
   * two customers who both hold a code cannot be merged (Stripe promotion codes cannot be), and duplicates are
   * usually found and merged in a customer's first hours.
   */
  codeOnPaying: z.boolean().default(false),
  /** The public origin of referral links written to HubSpot (`{linkBase}/r/{code}`), usually PUBLIC_URL. */
  linkBase: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, "")).optional(),
  holdDays: z.number().nonnegative().default(14),
  reward: z
    .strictObject({
      /** fixed: `fixed[currency]`; percent: that share of the friend's first invoice, when currencies match. */
      mode: z.enum(["fixed", "percent"]).default("fixed"),
      fixed: perCurrency({ usd: 5000, eur: 5000, gbp: 4000 }),
      percent: z.number().min(0).max(100).default(20),
      cap: perCurrency({ usd: 10_000, eur: 10_000, gbp: 8000 }),
    })
    .prefault({}),
  /** The friend's side: the coupon already applied at checkout, or a balance credit after the hold. */
  friendReward: z
    .strictObject({ type: z.enum(["coupon", "credit"]).default("coupon"), credit: perCurrency({ usd: 2500, eur: 2500, gbp: 2000 }) })
    .prefault({}),
  /** After payout, a refund or dispute of the qualifying payment posts a reversing balance transaction. */
  clawback: z.boolean().default(true),
  monthlyCapPerReferrer: z.number().int().nonnegative().default(10),
  /** A red or past-due referrer's reward waits until they are healthy. */
  holdWhileUnhealthy: z.boolean().default(true),
  /** Invoices paid this long before the attribution still count as the referred purchase (events race). */
  attributionGraceMinutes: z.number().nonnegative().default(60),
  /** Stripe customer metadata key carrying a card fingerprint, when the merchant records one. */
  fingerprintMetadataKey: z.string().default("card_fingerprint"),
});

/** What members can redeem points for (GET /member/rewards): each item a fixed credit in one currency. */
export const catalogueItemSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]{1,40}$/, "catalogue ids: 1–40 lower-case letters, digits and dashes"),
  name: z.string().min(1).max(80),
  points: z.number().int().positive(),
  credit: z.strictObject({ amount: z.number().int().positive(), currency: z.string().regex(/^[a-z]{3}$/, "currency: lowercase ISO code") }),
});
export type CatalogueItem = z.output<typeof catalogueItemSchema>;

export const DEFAULT_CATALOGUE: CatalogueItem[] = [
  { id: "usd-5", name: "$5 account credit", points: 500, credit: { amount: 500, currency: "usd" } },
  { id: "usd-10", name: "$10 account credit", points: 1000, credit: { amount: 1000, currency: "usd" } },
  { id: "eur-5", name: "€5 account credit", points: 500, credit: { amount: 500, currency: "eur" } },
  { id: "eur-10", name: "€10 account credit", points: 1000, credit: { amount: 1000, currency: "eur" } },
  { id: "gbp-4", name: "£4 account credit", points: 500, credit: { amount: 400, currency: "gbp" } },
  { id: "gbp-8", name: "£8 account credit", points: 1000, credit: { amount: 800, currency: "gbp" } },
];

const catalogueSchema = z
  .array(catalogueItemSchema)
  .max(50)
  .default(DEFAULT_CATALOGUE)
  .refine((items) => new Set(items.map((i) => i.id)).size === items.length, "catalogue ids must be unique");

export const rewardRulesSchema = z.strictObject({
  /** Recorded on every ledger row, so a reward can be explained by the rules it was decided under. */
  version: z.string().min(1).default("rewards-1"),
  referral: referralRulesSchema.prefault({}),
  points: z
    .strictObject({
      earn: mergedRecord(z.number().int().nonnegative(), DEFAULT_EARN),
      trackEvents: mergedRecord(z.string(), DEFAULT_TRACK_EVENTS),
      onboardingWithinHours: z.number().positive().default(24),
    })
    .prefault({}),
  redemption: z
    .strictObject({
      /** `pointsPerUnit` points buy `unitAmount[currency]` minor units of credit. */
      pointsPerUnit: z.number().int().positive().default(100),
      unitAmount: perCurrency({ usd: 100, eur: 100, gbp: 80 }),
      minPoints: z.number().int().positive().default(500),
      maxPoints: z.number().int().positive().default(100_000),
    })
    .prefault({}),
  badges: z
    .strictObject({
      anniversaryDays: z.number().int().positive().default(365),
      powerUserSegment: z.string().default("power_user"),
    })
    .prefault({}),
  occasions: z
    .strictObject({
      anniversary: z.strictObject({ enabled: z.boolean().default(true), credit: perCurrency({}) }).prefault({}),
      birthday: z.strictObject({ enabled: z.boolean().default(true), contactProperty: z.string().default("date_of_birth") }).prefault({}),
      /** A missed daily run still awards an occasion within this many days of it. */
      windowDays: z.number().int().positive().default(7),
    })
    .prefault({}),
  renewalOffer: z
    .strictObject({
      enabled: z.boolean().default(true),
      coupon: z.string().min(1).default("tenure-renewal-offer"),
      daysBefore: z.number().positive().default(30),
      firstYearDays: z.number().positive().default(400),
      minScore: z.number().min(0).max(100).default(40),
      maxScore: z.number().min(0).max(100).default(100),
    })
    .prefault({}),
  catalogue: catalogueSchema,
  /** High-value accounts: the core model's `vip` segment. */
  vip: z.strictObject({ segment: z.string().default("vip"), pointsMultiplier: z.number().min(1).max(10).default(2) }).prefault({}),
});

export type RewardRules = z.output<typeof rewardRulesSchema>;
export type ReferralRules = RewardRules["referral"];
export const defaultRewardRules: RewardRules = rewardRulesSchema.parse({});
