import { Hono } from "hono";
import { z } from "zod";
import { sourceNameSchema } from "../core/events";
import type { Env } from "../env";
import { badRequest } from "../errors";
import { enqueue } from "../jobs/enqueue";
import { redriveFailed } from "../store/inbox";
import { requireAdmin } from "./auth";

/** Re-driving dead-lettered inbox events: `failed` rows go back to `received` and onto the events queue. */

export const redrive = new Hono<{ Bindings: Env }>();
redrive.use("*", requireAdmin);

/** At most this many events per call: the answer says whether more remain, so a caller repeats until none do. */
export const REDRIVE_LIMIT = 500;

const ms = z.number().int().nonnegative();
const redriveSchema = z
  .strictObject({
    ids: z.array(z.string().min(1).max(500)).min(1).max(REDRIVE_LIMIT).optional(),
    from: ms.optional(),
    to: ms.optional(),
    source: sourceNameSchema.optional(),
  })
  .refine((f) => f.from === undefined || f.to === undefined || f.from <= f.to, { message: "from must not be after to", path: ["from"] });

/** An empty body means "no filter"; a body that is not JSON is refused rather than read as no filter. */
async function jsonBody(req: Request): Promise<unknown> {
  const text = await req.text();
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest("The body is not valid JSON: send an object like {\"source\":\"stripe\"} (or nothing, for every failed event).");
  }
}

redrive.post("/events/redrive", async (c) => {
  const f = redriveSchema.parse(await jsonBody(c.req.raw));
  const { ids, more } = await redriveFailed(c.env.DB, f, REDRIVE_LIMIT);
  await enqueue(c.env.EVENTS, ids.map((eventId) => ({ eventId })));
  return c.json({ redriven: ids.length, ids, more }, 202);
});
