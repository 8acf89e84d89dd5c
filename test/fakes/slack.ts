import { bearer, FaultSwitch, readBody, json, recordOf, RollingWindow, type Clock, type RecordedRequest } from "./common";
import { validateBlocks } from "./slack-blocks";

/**
 * A Slack Web API that behaves like the real one where Tenure can tell the difference:
 * - failures are HTTP 200 with `ok:false` and an error code (not_authed, invalid_auth,
 *   channel_not_found, not_in_channel, no_text, invalid_blocks, message_not_found, users_not_found);
 * - a post to a user id lands in the bot's DM with them (a D… channel, named in the answer), as does
 *   conversations.open; an unknown user id is channel_not_found;
 * - chat.postMessage is limited to one message per second per channel: HTTP 429, Retry-After: 1,
 *   `{ok:false, error:"ratelimited"}`;
 * - JSON and form-encoded bodies are both accepted, reads take query strings, like the real API;
 * - conversations.history / conversations.replies page newest-first / oldest-first with cursors, return
 *   message metadata only with include_all_metadata, and are Tier 3 (50 calls a minute per method).
 */
export interface FakeSlackOptions {
  token: string;
  now?: Clock;
  /** Channel id -> name and whether the bot is a member (default true). */
  channels?: Record<string, { name: string; member?: boolean }>;
  /** Email -> Slack user id. */
  users?: Record<string, string>;
  postsPerSecondPerChannel?: number;
}

export interface FakeSlackMessage {
  channel: string;
  ts: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
  edited?: boolean;
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
}

type Args = Record<string, unknown>;

export class FakeSlack {
  readonly messages: FakeSlackMessage[] = [];
  readonly requests: RecordedRequest[] = [];
  readonly faults = new FaultSwitch();
  readonly now: Clock;
  readonly channels: Map<string, { name: string; member: boolean }>;
  readonly users: Map<string, string>;
  private readonly perChannel = new Map<string, RollingWindow>();
  private readonly tier3 = new Map<string, RollingWindow>();
  private seq = 0;

  constructor(private readonly opts: FakeSlackOptions) {
    this.now = opts.now ?? Date.now;
    this.channels = new Map(Object.entries(opts.channels ?? {}).map(([id, c]) => [id, { name: c.name, member: c.member ?? true }]));
    this.users = new Map(Object.entries(opts.users ?? {}).map(([email, id]) => [email.toLowerCase(), id]));
  }

  failNext(n: number, status: number): void {
    this.faults.failNext(n, status);
  }

  outage(untilMs: number): void {
    this.faults.outage(untilMs);
  }

  inChannel(channel: string): FakeSlackMessage[] {
    return this.messages.filter((m) => m.channel === channel);
  }

  async handle(req: Request): Promise<Response> {
    const body = await readBody(req);
    const res = this.serve(req, body);
    this.requests.push(recordOf(req, body, res.status, this.now()));
    return res;
  }

  private serve(req: Request, body: string): Response {
    const fault = this.faults.take(this.now());
    if (fault !== null) return new Response("upstream error", { status: fault });
    const token = bearer(req);
    if (!token) return fail("not_authed");
    if (token !== this.opts.token) return fail("invalid_auth");
    const url = new URL(req.url);
    const method = url.pathname.split("/").pop() ?? "";
    const args = parseArgs(req, url, body);
    if (args === null) return fail("invalid_json");
    switch (method) {
      case "chat.postMessage":
        return this.postMessage(args);
      case "chat.update":
        return this.update(args);
      case "users.lookupByEmail":
        return this.lookupByEmail(args);
      case "conversations.open":
        return this.openConversation(args);
      case "conversations.history":
      case "conversations.replies":
        return this.tier3Limited(method) ?? (method === "conversations.history" ? this.history(args) : this.replies(args));
      default:
        return json(404, { ok: false, error: "unknown_method" });
    }
  }

  /** A user's DM with the bot, as Slack names it: a D… id of its own. */
  dmOf(userId: string): string {
    return `D${userId.slice(1)}`;
  }

  /** The DM messages a user got. */
  inDm(userId: string): FakeSlackMessage[] {
    return this.inChannel(this.dmOf(userId));
  }

  private resolveChannel(ref: unknown): { id: string } | { error: string } {
    if (typeof ref !== "string" || ref === "") return { error: "channel_not_found" };
    // Posting to a user id opens (or reuses) the bot's DM with them; the answer names the D… channel.
    const dmUser = [...this.users.values()].find((u) => u === ref || this.dmOf(u) === ref);
    if (dmUser) return { id: this.dmOf(dmUser) };
    const name = ref.replace(/^#/, "");
    const entry = this.channels.has(ref) ? [ref, this.channels.get(ref)!] as const : [...this.channels].find(([, c]) => c.name === name);
    if (!entry) return { error: "channel_not_found" };
    return entry[1].member ? { id: entry[0] } : { error: "not_in_channel" };
  }

  private postMessage(args: Args): Response {
    const channel = this.resolveChannel(args.channel);
    if ("error" in channel) return fail(channel.error);
    const invalid = this.checkContent(args);
    if (invalid) return invalid;
    const slot = this.limiterFor(channel.id).take(this.now());
    if (!slot.ok) {
      return json(429, { ok: false, error: "ratelimited" }, { "retry-after": String(Math.max(1, Math.ceil(slot.retryAfterMs / 1000))) });
    }
    this.seq += 1;
    const ts = `${Math.floor(this.now() / 1000)}.${String(this.seq).padStart(6, "0")}`;
    const message: FakeSlackMessage = {
      channel: channel.id,
      ts,
      text: typeof args.text === "string" ? args.text : "",
      ...(Array.isArray(args.blocks) ? { blocks: args.blocks } : {}),
      ...(typeof args.thread_ts === "string" ? { thread_ts: args.thread_ts } : {}),
      ...(isMetadata(args.metadata) ? { metadata: args.metadata } : {}),
    };
    this.messages.push(message);
    return json(200, { ok: true, channel: channel.id, ts, message: { type: "message", user: "U0TENUREBOT", bot_id: "B0TENURE", ...message } });
  }

  private update(args: Args): Response {
    const channel = this.resolveChannel(args.channel);
    if ("error" in channel) return fail(channel.error);
    const message = this.messages.find((m) => m.channel === channel.id && m.ts === args.ts);
    if (!message) return fail("message_not_found");
    const invalid = this.checkContent(args);
    if (invalid) return invalid;
    message.text = typeof args.text === "string" ? args.text : message.text;
    if (Array.isArray(args.blocks)) message.blocks = args.blocks;
    message.edited = true;
    return json(200, { ok: true, channel: channel.id, ts: message.ts, text: message.text, message: { ...message } });
  }

  private tier3Limited(method: string): Response | null {
    let w = this.tier3.get(method);
    if (!w) this.tier3.set(method, (w = new RollingWindow(50, 60_000)));
    const slot = w.take(this.now());
    return slot.ok ? null : json(429, { ok: false, error: "ratelimited" }, { "retry-after": String(Math.max(1, Math.ceil(slot.retryAfterMs / 1000))) });
  }

  private view(m: FakeSlackMessage, withMetadata: boolean) {
    const { metadata, channel: _c, ...rest } = m;
    return { type: "message", user: "U0TENUREBOT", bot_id: "B0TENURE", ...rest, ...(withMetadata && metadata ? { metadata } : {}) };
  }

  /** Top-level messages (and thread parents), newest first, `oldest` exclusive; `limit` at most 999. */
  private history(args: Args): Response {
    const channel = this.resolveChannel(args.channel);
    if ("error" in channel) return fail(channel.error);
    const oldest = Number(args.oldest ?? 0);
    const all = this.messages
      .filter((m) => m.channel === channel.id && !m.thread_ts && Number(m.ts) > oldest)
      .sort((a, b) => Number(b.ts) - Number(a.ts));
    return this.page(all, args);
  }

  /** A thread: its parent then its replies, oldest first. */
  private replies(args: Args): Response {
    const channel = this.resolveChannel(args.channel);
    if ("error" in channel) return fail(channel.error);
    const parent = this.messages.find((m) => m.channel === channel.id && m.ts === args.ts);
    if (!parent) return fail("thread_not_found");
    const thread = [parent, ...this.messages.filter((m) => m.channel === channel.id && m.thread_ts === parent.ts).sort((a, b) => Number(a.ts) - Number(b.ts))];
    return this.page(thread, args);
  }

  private page(all: FakeSlackMessage[], args: Args): Response {
    const limit = Math.min(999, Math.max(1, Number(args.limit ?? 100)));
    const start = args.cursor ? Number(atob(String(args.cursor)).replace("next:", "")) : 0;
    if (!Number.isInteger(start) || start < 0) return fail("invalid_cursor");
    const withMetadata = args.include_all_metadata === true || args.include_all_metadata === "true";
    const slice = all.slice(start, start + limit);
    const more = start + limit < all.length;
    return json(200, {
      ok: true,
      messages: slice.map((m) => this.view(m, withMetadata)),
      has_more: more,
      response_metadata: { next_cursor: more ? btoa(`next:${start + limit}`) : "" },
    });
  }

  /** https://docs.slack.dev/reference/methods/conversations.open: one user's DM; an unknown user is `user_not_found`. */
  private openConversation(args: Args): Response {
    const users = typeof args.users === "string" ? args.users.split(",").filter(Boolean) : [];
    if (users.length !== 1) return fail(users.length === 0 ? "users_list_not_supplied" : "not_implemented");
    const known = [...this.users.values()].includes(users[0]!);
    return known ? json(200, { ok: true, channel: { id: this.dmOf(users[0]!) } }) : fail("user_not_found");
  }

  private lookupByEmail(args: Args): Response {
    const id = typeof args.email === "string" ? this.users.get(args.email.toLowerCase()) : undefined;
    if (!id) return fail("users_not_found");
    return json(200, { ok: true, user: { id, name: String(args.email).split("@")[0], profile: { email: args.email } } });
  }

  /** text or blocks must be present; blocks must pass Block Kit validation. */
  private checkContent(args: Args): Response | null {
    const hasText = typeof args.text === "string" && args.text !== "";
    if (!hasText && args.blocks === undefined) return fail("no_text");
    if (typeof args.text === "string" && args.text.length > 40_000) return fail("msg_too_long");
    if (args.blocks === undefined) return null;
    const errors = validateBlocks(args.blocks);
    if (errors.length === 0) return null;
    return json(200, {
      ok: false,
      error: "invalid_blocks",
      errors,
      response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) },
    });
  }

  private limiterFor(channel: string): RollingWindow {
    let limiter = this.perChannel.get(channel);
    if (!limiter) {
      limiter = new RollingWindow(this.opts.postsPerSecondPerChannel ?? 1, 1_000);
      this.perChannel.set(channel, limiter);
    }
    return limiter;
  }
}

const fail = (error: string) => json(200, { ok: false, error });

function isMetadata(v: unknown): v is { event_type: string; event_payload: Record<string, unknown> } {
  return typeof v === "object" && v !== null && typeof (v as { event_type?: unknown }).event_type === "string" && typeof (v as { event_payload?: unknown }).event_payload === "object";
}

/** JSON bodies, form bodies (with `blocks` as a JSON string) and query strings, as Slack accepts. */
function parseArgs(req: Request, url: URL, body: string): Args | null {
  const args: Args = Object.fromEntries(url.searchParams);
  if (body === "") return args;
  if ((req.headers.get("content-type") ?? "").includes("application/json")) {
    try {
      const parsed: unknown = JSON.parse(body);
      return typeof parsed === "object" && parsed !== null ? { ...args, ...parsed } : null;
    } catch {
      return null;
    }
  }
  const form: Args = Object.fromEntries(new URLSearchParams(body));
  if (typeof form.blocks === "string") {
    try {
      form.blocks = JSON.parse(form.blocks);
    } catch {
      return { ...args, ...form, blocks: "unparseable" };
    }
  }
  return { ...args, ...form };
}
