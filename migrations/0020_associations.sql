-- What a vendor's API says an id belongs to: a HubSpot deal, ticket or contact to its companies, a Zendesk
-- requester or organization to its email domains. Filled by the outbox's enrichment actions; read when
-- resolving an event's customer. Holds ids and domains only, never a person's email.
CREATE TABLE associations (
  object_kind TEXT NOT NULL,          -- identity kind of the object: hubspot_deal | hubspot_ticket | contact | zendesk_user | zendesk_org
  object_value TEXT NOT NULL,         -- its id (contact: `hubspot:<id>`)
  to_kind TEXT NOT NULL,              -- identity kind it leads to: hubspot (a company id) | domain
  to_value TEXT NOT NULL,
  rank INTEGER NOT NULL,              -- 0 = the vendor's primary association, then in the vendor's order
  fetched_at INTEGER NOT NULL,
  PRIMARY KEY (object_kind, object_value, to_kind, to_value)
);
