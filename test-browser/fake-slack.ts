import { createServer, type Server } from "node:http";

/**
 * Slack's chat.postMessage, as Slack answers it: HTTP 200 with `ok: false` and an error code while the
 * channel is wrong (a permanent failure for the outbox), `ok: true` with channel and ts once fixed.
 */
export class FakeSlack {
  channelExists = false;
  readonly posts: { channel: string; text: string; ok: boolean }[] = [];
  private server: Server | null = null;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        res.setHeader("content-type", "application/json");
        if (req.headers.authorization !== "Bearer xoxb-browser-test") return res.end(JSON.stringify({ ok: false, error: "invalid_auth" }));
        if (!req.url?.startsWith("/api/chat.postMessage")) return res.end(JSON.stringify({ ok: false, error: "unknown_method" }));
        const msg = JSON.parse(body || "{}") as { channel?: string; text?: string };
        this.posts.push({ channel: msg.channel ?? "", text: msg.text ?? "", ok: this.channelExists });
        if (!this.channelExists) return res.end(JSON.stringify({ ok: false, error: "channel_not_found" }));
        res.end(JSON.stringify({ ok: true, channel: msg.channel, ts: `${Date.now() / 1000}` }));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", () => r()));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}/api`;
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
