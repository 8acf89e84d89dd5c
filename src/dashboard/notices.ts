import type { Notice } from "./layout";

/** Messages after a redirect: the URL carries a fixed code (and an id or count), never free text. */
export function noticeFrom(q: Record<string, string | undefined>): Notice | null {
  const id = q.id ?? "";
  switch (q.notice) {
    case "requeued":
      return { kind: "ok", text: `Action ${id} was re-queued.` };
    case "pending":
      return { kind: "ok", text: `Action ${id} is already queued.` };
    case "delivered":
      return { kind: "error", text: `Action ${id} was delivered; it is never sent twice.` };
    case "missing":
      return { kind: "error", text: `Action ${id} does not exist.` };
    case "replayed":
      return { kind: "ok", text: `${Number(q.n ?? 0)} dead letters re-queued.` };
    case "redriven":
      return { kind: "ok", text: `${Number(q.n ?? 0)} failed events re-queued${q.more === "1" ? "; more remain, re-drive again" : ""}.` };
    case "failed":
      return { kind: "error", text: "The request failed; nothing was changed. Try again or check the logs." };
    default:
      return null;
  }
}

const BACK = /^\/(?:portfolio|alerts|outbox|customers\/[A-Za-z0-9_%.:-]+)?(?:\?[A-Za-z0-9_=&%.:-]*)?$/;

/** Where a form may send the browser back to: dashboard paths only, never another site. */
export function safeBack(back: string | undefined, fallback: string): string {
  return back && BACK.test(back) ? back : fallback;
}

export function withNotice(path: string, params: Record<string, string | number>): string {
  const url = new URL(path, "http://x");
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
  return `${url.pathname}${url.search}`;
}
