import { Hono } from "hono";
import { openapiDocument } from "./openapi-doc";

export const openapi = new Hono();
openapi.get("/openapi.json", (c) => c.json(openapiDocument));
