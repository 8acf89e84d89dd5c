import { z } from "zod";
import { compact, emailSubject, eventId, idString, ignored, isoMs } from "./delivery";
import { hmac, requireHeader, SignatureError, timingSafeEqualStr, toHex } from "./signature";
import { type Delivery, defineSource, type NormalizeContext, normalizeDomain, type VerifyInput } from "./source";

/**
 * Segment Webhooks destination: `X-Signature = hex(HMAC-SHA1(shared secret, body))`, no timestamp
 * (deduplicated on messageId). One Segment call per request, in the Segment Spec.
 * https://segment.com/docs/connections/destinations/catalog/webhooks/
 * https://segment.com/docs/connections/spec/common/
 */

const SIGNATURE_HEADER = "X-Signature";

const str = z.string().nullable().optional();
const userRef = z.union([z.string(), z.number()]).nullable().optional();
const traitsSchema = z
  .looseObject({
    email: str,
    role: str,
    name: str,
    domain: str,
    website: str,
    seats: z.union([z.number(), z.string()]).nullable().optional(),
    plan: str,
  })
  .nullable()
  .optional();

const common = {
  messageId: z.string().min(1),
  timestamp: str,
  originalTimestamp: str,
  receivedAt: str,
  userId: userRef,
  anonymousId: userRef,
  context: z.looseObject({ groupId: str, traits: traitsSchema }).nullable().optional(),
};

export const segmentPayloadSchema = z
  .discriminatedUnion("type", [
    z.looseObject({ ...common, type: z.literal("track"), event: z.string().min(1) }),
    z.looseObject({ ...common, type: z.literal("identify"), traits: traitsSchema }),
    z.looseObject({ ...common, type: z.literal("group"), groupId: z.union([z.string().min(1), z.number()]), traits: traitsSchema }),
    z.looseObject({ ...common, type: z.enum(["page", "screen", "alias"]) }),
  ])
  .superRefine((p, ctx) => {
    if (p.userId == null && p.anonymousId == null) ctx.addIssue({ code: "custom", path: ["userId"], message: "Segment calls need a userId or an anonymousId" });
  });
export type SegmentPayload = z.infer<typeof segmentPayloadSchema>;

async function verifySegment({ rawBody, headers, secret }: VerifyInput): Promise<void> {
  const signature = requireHeader(headers, SIGNATURE_HEADER).trim().toLowerCase();
  const expected = toHex(await hmac("SHA-1", secret, rawBody));
  if (!timingSafeEqualStr(expected, signature)) {
    throw new SignatureError(
      "bad_signature",
      "The Segment signature does not match: check SEGMENT_SHARED_SECRET (the destination's shared secret) and that the raw body reaches Tenure unchanged.",
    );
  }
}

const text = (v: string | null | undefined) => (v == null || v.trim() === "" ? undefined : v.trim());
const ref = (v: string | number | null | undefined) => (v == null || v === "" ? undefined : idString(v));

function seatsOf(v: number | string | null | undefined): number | undefined {
  const n = typeof v === "string" ? Number(v) : v;
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function normalizeSegment(p: SegmentPayload, raw: string, ctx: NormalizeContext): Delivery[] {
  // Segment's `timestamp` is already corrected for client clock skew.
  const occurredAt = isoMs(p.timestamp) ?? isoMs(p.originalTimestamp) ?? isoMs(p.receivedAt) ?? ctx.now;
  const base = { dedupeKey: p.messageId, vendorType: p.type, occurredAt, raw };
  const common = { id: eventId("segment", p.messageId), source: "segment" as const, occurredAt };
  const userId = ref(p.userId);
  const actor = userId ?? ref(p.anonymousId) ?? "";
  const contextGroup = text(p.context?.groupId);
  switch (p.type) {
    case "track": {
      const subject = compact({ userId, segmentGroupId: contextGroup, ...emailSubject(p.context?.traits?.email) });
      return [{ ...base, events: [{ ...common, type: "usage.tracked", subject, userId: actor, event: p.event }] }];
    }
    case "identify": {
      const email = text(p.traits?.email ?? p.context?.traits?.email);
      const subject = compact({ userId, segmentGroupId: contextGroup, ...emailSubject(email) });
      const facts = compact({ email: email?.toLowerCase(), role: text(p.traits?.role), name: text(p.traits?.name) });
      return [{ ...base, events: [{ ...common, type: "user.identified", subject, userId: actor, ...facts }] }];
    }
    case "group": {
      const groupId = idString(p.groupId);
      const domain = normalizeDomain(text(p.traits?.domain) ?? text(p.traits?.website));
      const name = text(p.traits?.name);
      const subject = compact({ segmentGroupId: groupId, userId, domain, name });
      const facts = compact({ userId, name, domain, seats: seatsOf(p.traits?.seats), plan: text(p.traits?.plan) });
      return [{ ...base, events: [{ ...common, type: "account.grouped", subject, groupId, ...facts }] }];
    }
    default:
      return [ignored(base, `Tenure does not use Segment ${p.type} calls`)];
  }
}

export const segmentSource = defineSource({
  name: "segment",
  secret: "SEGMENT_SHARED_SECRET",
  schema: segmentPayloadSchema,
  verify: verifySegment,
  normalize: (p, raw, ctx) => normalizeSegment(p, raw, ctx),
});
