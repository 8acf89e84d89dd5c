import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../src/core/config";
import type { NormalizedEvent } from "../../src/core/events";
import { sweep } from "../../src/cron";
import { runJobPage } from "../../src/jobs/run";
import type { TimelineJobMessage } from "../../src/jobs/messages";
import { processEvents, type TimelineJob } from "../../src/pipeline";
import { TIMELINE_DUE_AFTER_MS } from "../../src/store/timeline-due";
import { paidInvoice, receiveNormalized } from "../support/inbox";
import { capturingQueue } from "../support/jobs";
import { runQueue } from "../support/drain";

/*
 * A step that recomputes more than 62 days leaves the older ones to a timeline job, sent after its commit. The commit
 * records them (src/store/timeline-due.ts), so a job lost between the commit and the send (the consumer died, the
 * send failed) is sent again by the sweeper, and the timeline ends as if it had run.
 */
const DAY = 86_400_000;
const NOW = Date.parse("2026-12-07T12:00:00Z");

/** A year-old customer arriving at once: its first step computes 62 days and leaves the rest to a job. */
async function arrive(tag: string): Promise<{ customerId: string; jobs: TimelineJob[] }> {
  const facts: NormalizedEvent[] = [paidInvoice(`evt_${tag}_1`, `cus_${tag}`, NOW - 300 * DAY), paidInvoice(`evt_${tag}_2`, `cus_${tag}`, NOW - 30 * DAY, 9900)];
  await receiveNormalized(facts, NOW);
  const result = await processEvents({ db: env.DB, cfg: defaultConfig, now: NOW }, facts.map((e) => e.id));
  expect(result.done).toHaveLength(2);
  const customerId = (await env.DB.prepare(`SELECT customer_id AS id FROM identities WHERE kind = 'stripe' AND value = ?`).bind(`cus_${tag}`).first<{ id: string }>())!.id;
  return { customerId, jobs: result.timelineJobs };
}

async function runJob(job: TimelineJob) {
  let next: unknown = { job: "timeline", ...job };
  for (let pages = 0; next !== null; pages++) {
    expect(pages).toBeLessThan(10);
    next = await runJobPage(env as never, { kind: "job", body: next as TimelineJobMessage });
  }
}

const due = (customerId: string) => env.DB.prepare(`SELECT from_day, to_day, due_at FROM timeline_due WHERE customer_id = ?`).bind(customerId).first<{ from_day: string; to_day: string; due_at: number }>();
const timeline = async (customerId: string) =>
  (await env.DB.prepare(`SELECT at, score, band, stage FROM score_history WHERE customer_id = ? ORDER BY at`).bind(customerId).all()).results;

describe("days left to a timeline job", () => {
  it("are recorded by the commit that leaves them, and cleared by the job's last page", async () => {
    const { customerId, jobs } = await arrive("tld_a");
    expect(jobs).toHaveLength(1);
    expect(await due(customerId)).toEqual({ from_day: jobs[0]!.from, to_day: jobs[0]!.to, due_at: NOW });
    await runJob(jobs[0]!);
    expect(await due(customerId)).toBeNull();
  });

  it("are sent again by the sweeper when their job was lost, and the timeline ends as if it had run", async () => {
    const ran = await arrive("tld_b");
    await runJob(ran.jobs[0]!);
    const lost = await arrive("tld_c");
    // Without its job, the older days are missing from its timeline.
    expect(await timeline(lost.customerId)).not.toEqual(await timeline(ran.customerId));
    // The job of `lost` is never sent. Before the threshold the sweeper leaves the record alone.
    const early = { ...env, EVENTS: capturingQueue(), ACTIONS: capturingQueue() };
    await sweep(early as never, NOW + TIMELINE_DUE_AFTER_MS - 60_000);
    expect(early.EVENTS.sent.filter((m) => (m as { job?: string }).job === "timeline")).toEqual([]);

    const later = { ...env, EVENTS: capturingQueue(), ACTIONS: capturingQueue() };
    const at = NOW + TIMELINE_DUE_AFTER_MS + 60_000;
    await sweep(later as never, at);
    const sent = later.EVENTS.sent.filter((m) => (m as { job?: string }).job === "timeline") as TimelineJob[];
    expect(sent).toEqual([{ job: "timeline", customerId: lost.customerId, from: lost.jobs[0]!.from, to: lost.jobs[0]!.to, dueTo: lost.jobs[0]!.to, dueAt: at }]);
    // Stamped when sent: the next sweep leaves it to this job.
    const again = { ...env, EVENTS: capturingQueue(), ACTIONS: capturingQueue() };
    await sweep(again as never, at + 120_000);
    expect(again.EVENTS.sent.filter((m) => (m as { job?: string }).job === "timeline")).toEqual([]);

    await runJob(sent[0]!);
    expect(await due(lost.customerId)).toBeNull();
    expect(await timeline(lost.customerId)).toEqual(await timeline(ran.customerId));
  });

  it("stay recorded when a later step leaves more days while the first job runs", async () => {
    const { customerId, jobs } = await arrive("tld_d");
    // A later deferral for the same customer (a backfill reaching further back) widens the record after the job was sent.
    await env.DB.prepare(`UPDATE timeline_due SET from_day = '2025-06-01', due_at = ? WHERE customer_id = ?`).bind(NOW + 1_000, customerId).run();
    await runJob(jobs[0]!);
    expect(await due(customerId)).toMatchObject({ from_day: "2025-06-01", due_at: NOW + 1_000 });
  });

  it("are dropped with their job when the customer is gone", async () => {
    await env.DB.prepare(`INSERT INTO timeline_due (customer_id, from_day, to_day, due_at) VALUES ('cu_tld_gone', '2026-01-01', '2026-03-01', ?)`).bind(NOW).run();
    await runJob({ customerId: "cu_tld_gone", from: "2026-01-01", to: "2026-03-01", dueTo: "2026-03-01", dueAt: NOW });
    expect(await due("cu_tld_gone")).toBeNull();
  });

  it("through the events queue and the customer's shard, the timeline job's last page clears its record", async () => {
    const now = Date.now();
    const facts = [paidInvoice("evt_tldq_1", "cus_tldq", now - 300 * DAY), paidInvoice("evt_tldq_2", "cus_tldq", now - 30 * DAY, 9900)];
    await receiveNormalized(facts, now);
    let queue = capturingQueue();
    await runQueue("tenure-events", facts.map((e) => ({ eventId: e.id })), { EVENTS: queue, ACCOUNT_SHARDS: "16" });
    const customerId = (await env.DB.prepare(`SELECT customer_id AS id FROM identities WHERE kind = 'stripe' AND value = 'cus_tldq'`).first<{ id: string }>())!.id;
    expect(await env.DB.prepare(`SELECT COUNT(*) AS n FROM timeline_due WHERE customer_id = ?`).bind(customerId).first("n")).toBe(1);
    for (let round = 0; round < 10; round++) {
      const jobs = queue.sent.filter((m) => (m as { job?: string }).job === "timeline");
      if (jobs.length === 0) break;
      queue = capturingQueue();
      const run = await runQueue("tenure-events", jobs, { EVENTS: queue, ACCOUNT_SHARDS: "16" });
      expect(run.error).toBeUndefined();
    }
    expect(await env.DB.prepare(`SELECT COUNT(*) AS n FROM timeline_due WHERE customer_id = ?`).bind(customerId).first("n")).toBe(0);
  });
});
