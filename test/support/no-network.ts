/**
 * Tests make no real network lookups. Once installed, every outbound fetch that no fake answered (msw passes
 * unhandled requests on to the fetch it found at `listen()`, which is this one) is refused and recorded;
 * test/setup/no-network.ts fails the test during which it was made, even when the code under test swallowed
 * the error as a retry.
 */
const refused: string[] = [];

export function installNetworkGuard(): void {
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input);
    refused.push(`${init?.method ?? (input instanceof Request ? input.method : "GET")} ${url}`);
    throw new TypeError(`no fake answers ${url}: tests make no real network requests`);
  };
}

/** The refused requests since the last call, distinct, oldest first. */
export function takeRefusedRequests(): string[] {
  return [...new Set(refused.splice(0))];
}
