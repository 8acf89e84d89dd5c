-- The retention job deletes identities of enriched kinds (a HubSpot deal or ticket, a Zendesk user or organization)
-- by age: this index lets each bounded chunk find the oldest ones of a kind without scanning the kind.
CREATE INDEX identities_kind_age ON identities (kind, created_at);
