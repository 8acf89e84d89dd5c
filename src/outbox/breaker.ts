/**
 * Per-destination circuit breaker and rate window, as pure state transitions (`now` is a parameter).
 * Open after 10 failures in a row, or when at least 70 % of 10+ calls in 5 minutes failed; probe after 30 s.
 */

export interface BreakerState {
  mode: "closed" | "open" | "half_open";
  openedAt: number | null;
  consecutiveFailures: number;
  /** Recent call outcomes within the window: [time, ok]. */
  recent: [number, boolean][];
  /** Paused by the vendor (429 Retry-After, a daily limit) until this time. */
  pausedUntil: number;
  pauseReason: string | null;
  /** Calls admitted in the current rate window. */
  admitted: number[];
}

export interface GatePolicy {
  maxCalls: number;
  perMs: number;
  windowMs: number;
  minCalls: number;
  failureRatio: number;
  maxConsecutive: number;
  probeAfterMs: number;
}

export const DEFAULT_POLICY: Omit<GatePolicy, "maxCalls" | "perMs"> = {
  windowMs: 5 * 60_000,
  minCalls: 10,
  failureRatio: 0.7,
  maxConsecutive: 10,
  probeAfterMs: 30_000,
};

export function initialBreaker(): BreakerState {
  return { mode: "closed", openedAt: null, consecutiveFailures: 0, recent: [], pausedUntil: 0, pauseReason: null, admitted: [] };
}

/**
 * How long to wait before `calls` may be made (0 = go now); admits them when 0. A rate-window wait of at
 * most `maxWaitMs` is a reservation: the calls are admitted at the end of the wait, and the caller goes then
 * without asking again. A longer wait, a vendor pause or an open breaker admits nothing.
 */
export function admit(s: BreakerState, p: GatePolicy, now: number, calls = 1, maxWaitMs = 0): { state: BreakerState; waitMs: number } {
  // Never waited out in place: the caller gives the work back instead.
  const notInPlace = (ms: number) => Math.max(ms, maxWaitMs + 1);
  if (now < s.pausedUntil) return { state: s, waitMs: notInPlace(s.pausedUntil - now) };
  let state = s;
  if (state.mode === "open") {
    const probeAt = (state.openedAt ?? now) + p.probeAfterMs;
    if (now < probeAt) return { state, waitMs: notInPlace(probeAt - now) };
    state = { ...state, mode: "half_open" };
  }
  // Reserved slots lie ahead of `now`; they count against the window like calls already made.
  const admitted = state.admitted.filter((t) => t > now - p.perMs);
  let at = now;
  if (admitted.length + calls > p.maxCalls) {
    const oldest = admitted[admitted.length + calls - p.maxCalls - 1] ?? admitted[0] ?? now;
    const waitMs = Math.max(1, oldest + p.perMs - now);
    if (waitMs > maxWaitMs) return { state: { ...state, admitted }, waitMs };
    at = now + waitMs;
  }
  for (let i = 0; i < calls; i++) admitted.push(at);
  return { state: { ...state, admitted }, waitMs: at - now };
}

export interface Outcome {
  ok: boolean;
  /** Vendor asked to wait (429 Retry-After / daily limit): pause the whole destination. */
  retryAfterMs?: number;
  policy?: string;
}

/** Records call outcomes and moves the breaker. A 429 pauses the destination but is not a failure of the vendor. */
export function record(s: BreakerState, p: GatePolicy, now: number, outcomes: Outcome[]): BreakerState {
  let state: BreakerState = { ...s, recent: s.recent.filter(([t]) => t > now - p.windowMs) };
  for (const o of outcomes) {
    if (o.retryAfterMs !== undefined && o.retryAfterMs > 0) {
      const until = now + o.retryAfterMs;
      if (until > state.pausedUntil) state = { ...state, pausedUntil: until, pauseReason: o.policy ? `rate limited (${o.policy})` : "rate limited" };
      continue;
    }
    state.recent = [...state.recent, [now, o.ok]];
    if (o.ok) {
      state = { ...state, consecutiveFailures: 0, mode: state.mode === "half_open" ? "closed" : state.mode, openedAt: state.mode === "half_open" ? null : state.openedAt };
      continue;
    }
    state = { ...state, consecutiveFailures: state.consecutiveFailures + 1 };
    const failures = state.recent.filter(([, ok]) => !ok).length;
    const tooMany = state.recent.length >= p.minCalls && failures / state.recent.length >= p.failureRatio;
    if (state.mode === "half_open" || state.consecutiveFailures >= p.maxConsecutive || tooMany) {
      state = { ...state, mode: "open", openedAt: now };
    }
  }
  return state;
}

/** "100/10s" -> { maxCalls: 100, perMs: 10000 } */
export function parseRate(spec: string): { maxCalls: number; perMs: number } {
  const m = /^(\d+)\s*\/\s*(\d+)?\s*(ms|s|m)$/.exec(spec.trim());
  if (!m) throw new Error(`rate "${spec}" must look like 100/10s`);
  const unit = { ms: 1, s: 1000, m: 60_000 }[m[3] as "ms" | "s" | "m"];
  return { maxCalls: Number(m[1]), perMs: Number(m[2] ?? 1) * unit };
}
