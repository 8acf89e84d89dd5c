import { AppError } from "./errors";

// The BOM stays: a signature covers the bytes as sent. One decoder serves every request (no streaming state).
const decoder = new TextDecoder("utf-8", { ignoreBOM: true } as TextDecoderConstructorOptions);

/** Reads at most `limit` bytes; larger bodies get a 413 without the rest being buffered. */
export async function readLimited(req: Request, limit: number): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  const tooLarge = () => new AppError(413, "payload_too_large", `Webhook bodies are limited to ${limit / 1024} KiB.`);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  if (!req.body) return "";
  // With a declared length the runtime delivers exactly that many bytes, already checked above.
  if (Number.isFinite(declared)) return decoder.decode(await req.arrayBuffer());
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const buf = new Uint8Array(size);
  let off = 0;
  for (const ch of chunks) {
    buf.set(ch, off);
    off += ch.byteLength;
  }
  return decoder.decode(buf);
}

