import type { Timers } from "../../src/outbox/vendor-fetch";

/**
 * A test clock that the outbox's sleeps and call timeouts run on: a sleep moves the clock, and a timeout
 * fires when the clock passes it, so a test can let a vendor call hang for a minute in no real time.
 */
export class SimClock {
  private pending: { at: number; ctl: AbortController }[] = [];

  constructor(public t: number) {}

  readonly now = (): number => this.t;

  /** Moves the clock, aborting the calls whose timeout falls due. */
  advance(ms: number): void {
    this.t += ms;
    const due = this.pending.filter((p) => p.at <= this.t);
    this.pending = this.pending.filter((p) => p.at > this.t);
    for (const p of due) p.ctl.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
  }

  readonly timers: Timers = {
    sleep: async (ms) => this.advance(ms),
    timeout: (ms) => {
      const ctl = new AbortController();
      this.pending.push({ at: this.t + ms, ctl });
      return ctl.signal;
    },
  };
}
