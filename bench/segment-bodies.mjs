// Real-shaped, really signed Segment deliveries for the benchmark: the fixtures, re-keyed and re-dated.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./lib.mjs";

const fixture = (name) => JSON.parse(readFileSync(join(root, "test", "fixtures", "segment", `${name}.json`), "utf8"));
const TRACK = fixture("track");
const GROUP = fixture("group");
const IDENTIFY = fixture("identify");

/** Ten product features, as Segment `track` event names. */
export const FEATURES = ["Report Exported", "Dashboard Viewed", "Report Created", "User Invited", "Alert Configured", "Integration Connected", "Comment Added", "File Uploaded", "Search Run", "Workflow Run"];

/** The Segment Webhooks destination's signature: hex(HMAC-SHA1(shared secret, raw body)). */
export function signSegment(body, secret) {
  return { "content-type": "application/json", "x-signature": createHmac("sha1", secret).update(body).digest("hex") };
}

/** Segment's four times around `at`: the client's, the send, Segment's receipt and the corrected timestamp. */
function dated(ev, at) {
  ev.originalTimestamp = new Date(at - 120).toISOString();
  ev.sentAt = new Date(at - 20).toISOString();
  ev.receivedAt = new Date(at + 600).toISOString();
  ev.timestamp = new Date(at).toISOString();
  return ev;
}

/** A `track` call by `user` of account `account` (Segment's context.groupId), at `at` (ms). */
export function trackBody({ messageId, account, user, feature, at }) {
  const ev = structuredClone(TRACK);
  ev.messageId = messageId;
  ev.userId = user;
  ev.anonymousId = null;
  ev.event = feature;
  ev.context.groupId = account;
  ev.context.traits = { email: `${user}@${account}.example` };
  ev.properties = { source: "web", rows: at % 5000 };
  return JSON.stringify(dated(ev, at));
}

/** A `group` call naming account `account` (its name, domain, plan and seats). */
export function groupBody({ messageId, account, user, at, seats = 50 }) {
  const ev = structuredClone(GROUP);
  ev.messageId = messageId;
  ev.groupId = account;
  ev.userId = user;
  ev.traits = { ...ev.traits, name: `Bench ${account}`, website: `https://www.${account}.example`, seats, plan: "growth" };
  return JSON.stringify(dated(ev, at));
}

/** An `identify` call for `user` of `account`, with a role. */
export function identifyBody({ messageId, account, user, at, role = "admin" }) {
  const ev = structuredClone(IDENTIFY);
  ev.messageId = messageId;
  ev.userId = user;
  ev.anonymousId = null;
  ev.context = { ...ev.context, groupId: account };
  ev.traits = { email: `${user}@${account}.example`, name: `User ${user}`, role };
  return JSON.stringify(dated(ev, at));
}

/** A small deterministic generator (mulberry32), so every run sends the same workload. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
