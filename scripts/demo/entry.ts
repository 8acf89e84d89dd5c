/** Everything the Node-side demo scripts need, bundled into one ES module by scripts/demo/bundle.mjs. */
export { generateQuarter } from "./generate";
export { signRequest } from "./sign";
export { DEMO, demoVars, fakeBases } from "./settings";
export { FakeHubSpot } from "../../test/fakes/hubspot";
export { FakeSlack } from "../../test/fakes/slack";
export { FakeStripe } from "../../test/fakes/stripe";
export { setupHubspotProperties } from "../../connectors/hubspot";
export { configSchema } from "../../src/env";
