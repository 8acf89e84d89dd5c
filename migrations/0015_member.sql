-- The member side of the loyalty program: claims members submit, and referral link clicks.

-- A review or social share a member says they made; points only once a program manager approves it.
CREATE TABLE member_claims (
  id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('review', 'social_share')),
  url TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  submitted_by TEXT NOT NULL,         -- the member token's `sub` (the user's id in the SaaS)
  reason TEXT,                        -- why it was rejected
  decided_by TEXT,                    -- the program manager who approved or rejected it
  decided_at INTEGER,
  ledger_id TEXT,                     -- the points row an approval wrote
  created_at INTEGER NOT NULL,
  UNIQUE (customer_id, kind, url)
);
CREATE INDEX member_claims_status ON member_claims (status, created_at);
CREATE INDEX member_claims_customer ON member_claims (customer_id, created_at);

-- Clicks on /r/:code, one counter per code and UTC day (not a row per click).
CREATE TABLE referral_clicks (
  code TEXT NOT NULL,
  day TEXT NOT NULL,                  -- yyyy-mm-dd
  clicks INTEGER NOT NULL,
  PRIMARY KEY (code, day)
);
