import { afterEach } from "vitest";
import { installNetworkGuard, takeRefusedRequests } from "../support/no-network";

installNetworkGuard();

afterEach(() => {
  const calls = takeRefusedRequests();
  if (calls.length > 0) throw new Error(`unhandled outbound request(s) during this test (give it a fake): ${calls.join(", ")}`);
});
