/**
 * Block Kit validation as Slack applies it before posting: a violation is `ok:false, invalid_blocks`
 * with one "[json-pointer:…]" message per problem. Limits from https://docs.slack.dev/reference/block-kit/blocks
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const KNOWN = new Set(["header", "section", "context", "actions", "divider", "image", "input", "rich_text", "markdown"]);

export function validateBlocks(blocks: unknown): string[] {
  const errors: string[] = [];
  const err = (msg: string, ptr: string) => errors.push(`${msg} [json-pointer:${ptr}]`);
  if (!Array.isArray(blocks)) return ["must provide an array [json-pointer:/blocks]"];
  if (blocks.length > 50) err("no more than 50 items allowed", "/blocks");
  const blockIds = new Set<string>();
  blocks.forEach((b, i) => {
    const at = `/blocks/${i}`;
    if (!isObj(b) || !KNOWN.has(str(b.type) ?? "")) return err("unsupported type", `${at}/type`);
    const id = str(b.block_id);
    if (id !== undefined) {
      if (id.length > 255) err("must be less than 256 characters", `${at}/block_id`);
      if (blockIds.has(id)) err("duplicate block_id", `${at}/block_id`);
      blockIds.add(id);
    }
    if (b.type === "header") textObject(b.text, `${at}/text`, 150, err, "plain_text");
    if (b.type === "section") section(b, at, err);
    if (b.type === "context") list(b.elements, `${at}/elements`, 10, err, (e, p) => textObject(e, p, 3000, err));
    if (b.type === "actions") actions(b, at, err);
  });
  return errors;
}

type Err = (msg: string, ptr: string) => void;

function textObject(t: unknown, at: string, max: number, err: Err, only?: "plain_text"): void {
  if (!isObj(t) || (t.type !== "plain_text" && t.type !== "mrkdwn")) return err("must provide an object with type plain_text or mrkdwn", at);
  if (only && t.type !== only) return err(`must be a ${only} text object`, `${at}/type`);
  const text = str(t.text) ?? "";
  if (text.length === 0) err("must be more than 0 characters", `${at}/text`);
  if ([...text].length > max) err(`must be less than ${max + 1} characters`, `${at}/text`);
}

function list(v: unknown, at: string, max: number, err: Err, each: (e: unknown, at: string) => void): void {
  if (!Array.isArray(v) || v.length === 0) return err("must provide at least one item", at);
  if (v.length > max) err(`no more than ${max} items allowed`, at);
  v.forEach((e, i) => each(e, `${at}/${i}`));
}

function section(b: Obj, at: string, err: Err): void {
  if (b.text === undefined && b.fields === undefined) return err("must provide text or fields", at);
  if (b.text !== undefined) textObject(b.text, `${at}/text`, 3000, err);
  if (b.fields !== undefined) list(b.fields, `${at}/fields`, 10, err, (f, p) => textObject(f, p, 2000, err));
}

function actions(b: Obj, at: string, err: Err): void {
  const actionIds = new Set<string>();
  list(b.elements, `${at}/elements`, 25, err, (e, p) => {
    if (!isObj(e) || e.type !== "button") return;
    textObject(e.text, `${p}/text`, 75, err, "plain_text");
    const actionId = str(e.action_id);
    if (actionId !== undefined) {
      if (actionId.length > 255) err("must be less than 256 characters", `${p}/action_id`);
      if (actionIds.has(actionId)) err("duplicate action_id", `${p}/action_id`);
      actionIds.add(actionId);
    }
    if ((str(e.value) ?? "").length > 2000) err("must be less than 2001 characters", `${p}/value`);
    if ((str(e.url) ?? "").length > 3000) err("must be less than 3001 characters", `${p}/url`);
    if (e.style !== undefined && e.style !== "primary" && e.style !== "danger") err("must be primary or danger", `${p}/style`);
  });
}
