/** A short, non-identifying label for a browser ("Chrome 131 on Linux"), kept with a session so an admin can tell sessions apart. */
export function summarizeUserAgent(ua: string | undefined | null): string {
  const s = ua ?? "";
  const browser =
    match(s, /Edg\/(\d+)/, "Edge") ??
    match(s, /OPR\/(\d+)/, "Opera") ??
    match(s, /Firefox\/(\d+)/, "Firefox") ??
    match(s, /Chrom(?:e|ium)\/(\d+)/, "Chrome") ??
    match(s, /Version\/(\d+)[^ ]* (?:Mobile\/\S+ )?Safari\//, "Safari") ??
    match(s, /^curl\/(\d+)/, "curl") ??
    (s ? "Other client" : "Unknown client");
  const os = /Windows/.test(s) ? "Windows" : /Android/.test(s) ? "Android" : /iPhone|iPad/.test(s) ? "iOS" : /Mac OS X|Macintosh/.test(s) ? "macOS" : /Linux|X11/.test(s) ? "Linux" : null;
  return os ? `${browser} on ${os}` : browser;
}

function match(s: string, re: RegExp, name: string): string | undefined {
  const m = re.exec(s);
  return m ? `${name} ${m[1]}` : undefined;
}
