import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ERASED } from "../../src/core/erasure";
import { STOP_WORDS, buildTopics, ticketPhrases, type TopicTicket } from "../../src/core/topics";

const DAY = 86_400_000;
const t = (id: string, subject: string, tags: string[] = [], at = 0): TopicTicket => ({ id, subject, tags, at });

const desk = [
  t("1", "Invoice PDF missing", ["billing"], 1 * DAY),
  t("2", "Invoice PDF not downloading", [], 2 * DAY),
  t("3", "Where is my invoice PDF?", ["billing"], 3 * DAY),
  t("4", "SSO login fails", ["sso"], 4 * DAY),
  t("5", "SSO login loop after update", [], 5 * DAY),
  t("6", "Request times out", [], 6 * DAY),
  t("7", "Demo request", [], 7 * DAY),
  t("8", "Export to CSV broken", [], 8 * DAY),
  t("9", "export to csv: missing columns", [], 9 * DAY),
  t("10", "Hi, quick question", [], 10 * DAY),
];

describe("buildTopics on a desk's week", () => {
  it("finds the phrases a knowledge-base writer can act on, each with its newest example tickets", () => {
    const topics = buildTopics(desk);
    expect(topics.map((x) => [x.phrase, x.tickets])).toEqual([
      ["invoice pdf", 3],
      ["export to csv", 2],
      ["sso login", 2],
    ]);
    expect(topics[0]!.examples.map((e) => e.id)).toEqual(["3", "2", "1"]);
    // Single desk words that said nothing before ("demo", "out", "times") are not topics.
    expect(topics.map((x) => x.phrase)).not.toContain("demo");
  });

  it("lists at most three examples per topic, and a word keeps the tickets no phrase explained", () => {
    const many = [1, 2, 3, 4, 5].map((i) => t(`p${i}`, `Invoice PDF blank page ${i}`, [], i));
    const other = [t("q1", "Invoice total wrong", [], 10), t("q2", "Invoice sent twice", [], 11)];
    const topics = buildTopics([...many, ...other]);
    expect(topics[0]).toMatchObject({ phrase: "invoice pdf blank", tickets: 5 });
    expect(topics[0]!.examples.map((e) => e.id)).toEqual(["p5", "p4", "p3"]);
    expect(topics[1]).toMatchObject({ phrase: "invoice", tickets: 2 });
  });

  it("ignores erased subjects, addresses, links and ticket numbers", () => {
    const topics = buildTopics([t("a", ERASED), t("b", ERASED), t("c", "jane@example.com #123 https://x.example/a"), t("d", "jane@example.com #123 https://x.example/a")]);
    expect(topics).toEqual([]);
  });

  it("takes a tag as a phrase of its own, lowercased, hyphens as spaces", () => {
    expect(ticketPhrases({ tags: ["Data-Export", "bug_report_form_v2_new", "to"], subject: "" }).sort()).toEqual(["data export"]);
  });
});

// Subjects from a small vocabulary, stop words included, so phrases repeat across tickets.
const vocabulary = ["invoice", "pdf", "login", "sso", "export", "csv", "the", "to", "in", "out", "a", "with", "not", "help", "issue", "2fa", "42", "times", "demo", "can't"];
const arbTicket = fc.record({
  id: fc.string({ minLength: 1, maxLength: 4 }),
  subject: fc.array(fc.constantFrom(...vocabulary), { minLength: 0, maxLength: 7 }).map((ws) => ws.join(" ")),
  tags: fc.array(fc.constantFrom("billing", "sso", "the", "data-export", ""), { maxLength: 2 }),
  at: fc.integer({ min: 0, max: 1000 }),
});
const arbDesk = fc.array(arbTicket, { maxLength: 40 });
const summary = (ts: ReturnType<typeof buildTopics>) => ts.map((x) => [x.phrase, x.tickets, x.examples.map((e) => `${e.id}|${e.subject}|${e.at}|${e.tags.join(",")}`)]);

describe("buildTopics properties", () => {
  it("is deterministic: the same tickets in any order give the same topics", () => {
    fc.assert(
      fc.property(arbDesk, fc.infiniteStream(fc.nat()), (tickets, seeds) => {
        const shuffled = tickets.map((x) => [seeds.next().value as number, x] as const).sort((a, b) => a[0] - b[0]).map(([, x]) => x);
        expect(summary(buildTopics(shuffled))).toEqual(summary(buildTopics(tickets)));
      }),
    );
  });

  it("never makes a stop word a topic, nor starts a phrase with one", () => {
    fc.assert(
      fc.property(arbDesk, (tickets) => {
        for (const topic of buildTopics(tickets, { minTickets: 1, limit: 50 })) {
          const words = topic.phrase.split(" ");
          expect(STOP_WORDS.has(topic.phrase)).toBe(false);
          expect(STOP_WORDS.has(words[0]!)).toBe(false);
          expect(words.length).toBeLessThanOrEqual(3);
          expect(words.every((w) => !/^\d+$/.test(w))).toBe(true);
        }
      }),
    );
  });

  it("prefers a repeated two-word phrase over its single words", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.constantFrom("invoice pdf", "sso login", "csv export"), (n, phrase) => {
        // Each ticket has its own filler words, so only the phrase repeats.
        const tickets = Array.from({ length: n }, (_, i) => t(`t${i}`, `alpha${i} ${phrase} omega${i}`, [], i));
        const topics = buildTopics(tickets);
        expect(topics.map((x) => x.phrase)).toEqual([phrase]);
        expect(topics[0]!.tickets).toBe(n);
      }),
    );
  });

  it("lists up to three examples, each a ticket that holds the phrase, and counts each ticket once", () => {
    fc.assert(
      fc.property(arbDesk, (tickets) => {
        const topics = buildTopics(tickets, { limit: 20 });
        const seen = new Set<TopicTicket>();
        let total = 0;
        for (const topic of topics) {
          expect(topic.tickets).toBeGreaterThanOrEqual(2);
          expect(topic.examples.length).toBe(Math.min(3, topic.tickets));
          for (const e of topic.examples) {
            expect(ticketPhrases(e)).toContain(topic.phrase);
            expect(seen.has(e)).toBe(false);
            seen.add(e);
          }
          total += topic.tickets;
        }
        expect(total).toBeLessThanOrEqual(tickets.length);
      }),
    );
  });
});

describe("background tags", () => {
  it("leaves out a tag on more than half of the tickets (a channel tag), once there are eight or more", () => {
    const subjects = ["Export to CSV times out", "How do I invite my team?", "Billing address change", "SSO setup question"];
    const tickets = Array.from({ length: 12 }, (_, i) => t(`z${i}`, subjects[i % 4]!, ["web_widget", "demo"], i));
    const phrases = buildTopics(tickets).map((x) => x.phrase);
    // Equal counts: the more specific phrase first, then the one that opens its subject ("how do i invite my team").
    expect(phrases).toEqual(["billing address change", "export to csv", "sso setup", "invite my team"]);
    // With few tickets the same tags still count: nothing says they are background yet.
    expect(buildTopics(tickets.slice(0, 4)).map((x) => x.phrase)).toEqual(["web widget"]);
  });
});

describe("ties and order", () => {
  it("between equally specific phrases on the same tickets, takes the one that opens the subject; lists most tickets first", () => {
    const tickets = [
      ...[1, 2].map((i) => t(`r${i}`, "Password reset email never arrives", [], i)),
      ...[3, 4, 5].map((i) => t(`s${i}`, `SSO ${["login", "setup", "loop"][i - 3]}`, [], i)),
    ];
    // "sso" (3 tickets × 1) is chosen after "password reset email" (2 × 2.2) but shown first.
    expect(buildTopics(tickets).map((x) => [x.phrase, x.tickets])).toEqual([["sso", 3], ["password reset email", 2]]);
  });
});

describe("bounded work", () => {
  it("reads only the newest `maxTickets` tickets", () => {
    const old = [1, 2, 3].map((i) => t(`o${i}`, "Webhook retries fail", [], i));
    const recent = [10, 11].map((i) => t(`n${i}`, "Invoice PDF missing", [], i));
    expect(buildTopics([...old, ...recent], { maxTickets: 2 }).map((x) => x.phrase)).toEqual(["invoice pdf missing"]);
    expect(buildTopics([...old, ...recent]).map((x) => x.phrase)).toEqual(["webhook retries fail", "invoice pdf missing"]);
  });
});
