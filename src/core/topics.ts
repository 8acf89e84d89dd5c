import { ERASED } from "./erasure";

/**
 * Ticket topics a knowledge-base writer can act on: phrases of one to three words from ticket subjects and
 * tags, stop words removed, each with example tickets. Pure and deterministic: the same tickets in any order
 * give the same topics.
 *
 * A phrase is a run of up to three words whose first word is a content word and whose last word is a
 * content word or a verb particle ("log in", "times out"); stop words may sit inside ("export to csv").
 * Topics are chosen greedily like a set cover: the phrase that explains the most tickets not yet explained
 * wins, a phrase with two content words counting double, so "invoice pdf" beats "invoice" when they cover the
 * same tickets, and "invoice" still appears for the invoice tickets that say something else. Each ticket is
 * counted under the first topic that explains it, and topics are listed most tickets first. A tag or a single
 * word on more than half of the tickets (a channel tag such as "web_widget", the product's name) says nothing
 * about any of them and is left out once there are enough tickets to tell.
 */

export interface TopicTicket {
  id: string;
  subject?: string;
  tags: readonly string[];
  /** When the ticket was opened (ms); newer tickets are the examples. */
  at: number;
}

export interface Topic<T extends TopicTicket = TopicTicket> {
  phrase: string;
  words: number;
  /** Tickets explained by this topic and by no topic before it. */
  tickets: number;
  /** Up to `examples` of those tickets, newest first, distinct subjects before repeats. */
  examples: T[];
}

export interface TopicOptions {
  limit?: number;
  /** A phrase must explain at least this many tickets to be a topic. */
  minTickets?: number;
  examples?: number;
  /** Only the newest this many tickets are read, which bounds the work of one request. */
  maxTickets?: number;
}

export const MAX_TOPIC_TICKETS = 20_000;

export const MAX_PHRASE_WORDS = 3;

/** Words that say nothing about what a ticket is about, plus the words every support desk uses. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    "a an the and or but nor if so to of in on at by for with from as is are was were be been being am it its it's this that these those " +
    "i i'm im ive i've we you your yours he she they me us my our ours their theirs his her them not no yes can cannot can't cant could " +
    "would should will shall may might must do does did done doing doesn't doesnt don't dont didn't didnt isn't isnt won't wont wasn't " +
    "aren't have has had having get gets got getting out up down off over under again about after before when what why how who whom " +
    "where which there here then than too very just also any all some more most much many so such only own same into onto through still " +
    "yet now via per vs etc e.g ie one two three able unable please pls plz hi hello hey dear thanks thank thx ty urgent asap help " +
    "issue issues problem problems question questions re fw fwd ticket tickets need needs needed want wants wanted trying try tried " +
    "working work works worked anyone someone something anything everything nothing way ways time times today yesterday tomorrow " +
    "again still keep keeps kept regarding re: inquiry query hallo bonjour"
  ).split(" "),
);

/** Words too broad to be a topic alone ("request"), though they make good phrases ("feature request"). */
export const BROAD_WORDS: ReadonlySet<string> = new Set(
  "request requests error errors bug bugs feature features account accounts page pages update updates change changes data setup set".split(" "),
);

/** With at least this many tickets, a tag on more than half of them is background, not a topic. */
const BACKGROUND_MIN_TICKETS = 8;

/** Particles that finish a phrasal verb: allowed as the last word of a phrase, never alone or first. */
const PARTICLES: ReadonlySet<string> = new Set(["in", "out", "up", "down", "off", "on", "over"]);

/** Lowercased words of a text, with addresses, links and ticket numbers taken out; null marks a break. */
export function phraseWords(text: string): (string | null)[] {
  if (!text || text === ERASED) return [];
  let cleaned = text.toLowerCase();
  if (/http|www\./.test(cleaned)) cleaned = cleaned.replace(/https?:\/\/\S+|www\.\S+/g, " | ");
  if (cleaned.includes("@")) cleaned = cleaned.replace(/\S+@\S+/g, " | ");
  if (cleaned.includes("#")) cleaned = cleaned.replace(/#\d+/g, " | ");
  const out: (string | null)[] = [];
  // Sentence punctuation breaks a phrase; spaces, hyphens and slashes between words do not.
  for (const chunk of cleaned.split(/[.,;:!?()[\]{}"|<>]+/)) {
    for (const raw of chunk.split(/[^\p{L}\p{N}']+/u)) {
      const w = raw.replace(/^'+|'+$/g, "");
      if (w) out.push(w);
    }
    out.push(null);
  }
  return out;
}

const isContent = (w: string | null): w is string => w !== null && w.length >= 2 && !STOP_WORDS.has(w) && !PARTICLES.has(w) && !/^\d+$/.test(w);

/** Every phrase of one to three words in a run of words, each once, with the index of the word it first starts at. */
function phraseStarts(words: readonly (string | null)[]): Map<string, number> {
  const out = new Map<string, number>();
  const add = (phrase: string, at: number) => out.has(phrase) || out.set(phrase, at);
  for (let i = 0; i < words.length; i++) {
    if (!isContent(words[i]!)) continue;
    const first = words[i]!;
    if (first.length >= 3 && !BROAD_WORDS.has(first)) add(first, i);
    for (let n = 2; n <= MAX_PHRASE_WORDS && i + n <= words.length; n++) {
      const gram = words.slice(i, i + n);
      if (gram.some((w) => w === null || /^\d+$/.test(w))) break;
      const last = gram[n - 1]!;
      if (isContent(last) || PARTICLES.has(last!)) add(gram.join(" "), i);
    }
  }
  return out;
}

export function phrasesOf(words: readonly (string | null)[]): string[] {
  return [...phraseStarts(words).keys()];
}

/** Each tag taken as a phrase of its own, lowercased, hyphens and underscores as spaces. */
export function tagPhrases(tags: readonly string[]): string[] {
  const out = new Set<string>();
  for (const tag of tags) {
    const words = phraseWords(tag.replace(/[-_/]+/g, " ")).filter((w): w is string => w !== null);
    if (words.length === 0 || words.length > MAX_PHRASE_WORDS) continue;
    const phrase = words.join(" ");
    if (phrasesOf(words).includes(phrase)) out.add(phrase);
  }
  return [...out];
}

/** The phrases of one ticket: from its subject, and from its tags. */
export function ticketPhrases(t: Pick<TopicTicket, "subject" | "tags">): string[] {
  return [...new Set([...phrasesOf(phraseWords(t.subject ?? "")), ...tagPhrases(t.tags)])];
}

/** Content words make a phrase specific: "export to csv" (two) outranks "csv times out" (one) on the same tickets. */
function weight(phrase: string): number {
  const content = phrase.split(" ").filter(isContent).length;
  return content <= 1 ? 1 : content === 2 ? 2 : 2.2;
}
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function newestFirst(a: TopicTicket, b: TopicTicket): number {
  return b.at - a.at || cmp(a.id, b.id) || cmp(a.subject ?? "", b.subject ?? "") || cmp(a.tags.join("\u0000"), b.tags.join("\u0000"));
}

/** Tags on more than half of the tickets (once there are enough to tell): a channel, not a topic. */
function backgroundTags(tickets: readonly TopicTicket[], tagsOf: (tags: readonly string[]) => string[]): Set<string> {
  if (tickets.length < BACKGROUND_MIN_TICKETS) return new Set();
  const counts = new Map<string, number>();
  for (const t of tickets) for (const p of new Set(tagsOf(t.tags))) counts.set(p, (counts.get(p) ?? 0) + 1);
  return new Set([...counts].filter(([, n]) => n * 2 > tickets.length).map(([p]) => p));
}

/** The newest tickets, one per distinct subject first: three copies of one subject teach a writer less. */
function pickExamples<T extends TopicTicket>(newest: T[], max: number): T[] {
  const seen = new Set<string>();
  const distinct: T[] = [];
  const repeats: T[] = [];
  for (const t of newest) {
    if (distinct.length >= max) break;
    const key = (t.subject ?? "").trim().toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      distinct.push(t);
    } else if (repeats.length < max) repeats.push(t);
  }
  return [...distinct, ...repeats].slice(0, max);
}

export function buildTopics<T extends TopicTicket>(tickets: readonly T[], opts: TopicOptions = {}): Topic<T>[] {
  const limit = opts.limit ?? 10;
  const minTickets = Math.max(1, opts.minTickets ?? 2);
  const examples = opts.examples ?? 3;
  const sorted = [...tickets].sort(newestFirst).slice(0, opts.maxTickets ?? MAX_TOPIC_TICKETS);
  // phrase -> indexes (into `sorted`) of the tickets that contain it
  // Tags repeat across tickets: each distinct tag is read once.
  const tagCache = new Map<string, string[]>();
  const tagsOf = (tags: readonly string[]) => tags.flatMap((tag) => tagCache.get(tag) ?? tagCache.set(tag, tagPhrases([tag])).get(tag)!);
  const background = backgroundTags(sorted, tagsOf);
  const holders = new Map<string, number[]>();
  // Where a phrase starts in a subject (tags count as the start): subjects lead with what they are about.
  const position = new Map<string, number>();
  const note = (p: string, at: number, i: number) => {
    const held = holders.get(p);
    if (!held) holders.set(p, [i]);
    else if (held[held.length - 1] !== i) held.push(i);
    position.set(p, Math.min(position.get(p) ?? Infinity, at));
  };
  sorted.forEach((t, i) => {
    for (const [p, at] of phraseStarts(phraseWords(t.subject ?? ""))) note(p, at, i);
    for (const p of tagsOf(t.tags)) if (!background.has(p)) note(p, 0, i);
  });
  // A single word on more than half of the tickets (a product name) says as little as a channel tag.
  if (sorted.length >= BACKGROUND_MIN_TICKETS) {
    for (const [p, idx] of holders) if (!p.includes(" ") && idx.length * 2 > sorted.length) holders.delete(p);
  }
  const weights = new Map([...holders.keys()].map((p) => [p, weight(p)]));
  const explained = new Set<number>();
  const topics: Topic<T>[] = [];
  while (topics.length < limit) {
    let best: { phrase: string; words: number; open: number[]; score: number; at: number } | null = null;
    for (const [phrase, idx] of holders) {
      // A phrase's open tickets only shrink: one that cannot reach the minimum or the best so far is skipped unread.
      if (idx.length < minTickets) {
        holders.delete(phrase);
        continue;
      }
      if (best && idx.length * weights.get(phrase)! < best.score) continue;
      const open = idx.filter((i) => !explained.has(i));
      if (open.length < minTickets) continue;
      const words = phrase.split(" ").length;
      const score = open.length * weights.get(phrase)!;
      const at = position.get(phrase)!;
      if (!best || score > best.score || (score === best.score && (at < best.at || (at === best.at && (words > best.words || (words === best.words && cmp(phrase, best.phrase) < 0)))))) {
        best = { phrase, words, open, score, at };
      }
    }
    if (!best) break;
    for (const i of best.open) explained.add(i);
    holders.delete(best.phrase);
    topics.push({ phrase: best.phrase, words: best.words, tickets: best.open.length, examples: pickExamples(best.open.map((i) => sorted[i]!), examples) });
  }
  // Chosen in order of what they explain; shown most tickets first.
  return topics.map((t, i) => [t, i] as const).sort(([a, i], [b, j]) => b.tickets - a.tickets || i - j).map(([t]) => t);
}
