-- HubSpot owners by id, so pages show a name instead of `71002`. Filled when the outbox looks an owner
-- up; an owner never looked up is shown by id.
CREATE TABLE owners (
  id TEXT PRIMARY KEY,                -- HubSpot owner id (the company's hubspot_owner_id)
  name TEXT,
  email TEXT,
  updated_at INTEGER NOT NULL
);
