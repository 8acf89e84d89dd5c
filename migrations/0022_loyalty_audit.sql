-- What program managers did to members' points, with who did it: balance adjustments and redemptions on a
-- member's behalf. Claim decisions keep their actor on member_claims (decided_by).
CREATE TABLE loyalty_audit (
  id TEXT PRIMARY KEY,                -- derived from the request: a replayed request records nothing new
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,                -- the Cloudflare Access email, or "admin token" (with a name the caller gave)
  action TEXT NOT NULL CHECK (action IN ('adjust', 'redeem')),
  customer_id TEXT NOT NULL,
  points INTEGER NOT NULL,            -- signed, as it moved the balance
  detail TEXT,                        -- the adjustment's reason, or the reward redeemed
  ledger_id TEXT NOT NULL             -- the ledger row the action wrote
);
CREATE INDEX loyalty_audit_at ON loyalty_audit (at);
CREATE INDEX loyalty_audit_customer ON loyalty_audit (customer_id, at);
