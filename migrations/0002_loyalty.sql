-- Loyalty program. Every reward, refusal and redemption is a ledger row with a deterministic id;
-- money moves only through outbox actions, whose ids the rows name.

CREATE TABLE loyalty_ledger (
  id TEXT PRIMARY KEY,                -- derived from the business fact: a replay inserts nothing
  customer_id TEXT NOT NULL,
  entry TEXT NOT NULL,                -- points.earned | points.redeemed | points.reversed | badge.awarded | referral.* | occasion.credit | renewal.offer
  kind TEXT,                          -- points kind, badge, occasion, friend reward type, attribution source
  points INTEGER NOT NULL DEFAULT 0,  -- signed: earned > 0, redeemed or reversed < 0; the balance is the sum
  amount INTEGER,                     -- credit granted (> 0) or taken back (< 0), minor units
  currency TEXT,
  ref TEXT,                           -- what the row answers: referred customer, invoice, activity ref, year
  reason TEXT,                        -- why refused / held / canceled / skipped
  action_id TEXT,                     -- the outbox row (= Stripe Idempotency-Key) that moves the money
  rules_version TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX loyalty_ledger_customer ON loyalty_ledger (customer_id, at);
CREATE INDEX loyalty_ledger_entry ON loyalty_ledger (entry, at);

-- Enrollment: on the first earn, or by opting in.
CREATE TABLE loyalty_members (
  customer_id TEXT PRIMARY KEY,
  enrolled_at INTEGER NOT NULL,
  via TEXT NOT NULL CHECK (via IN ('earn', 'opt_in'))
);

-- One referral code per referrer; its Stripe promotion code id is the result of the outbox action.
CREATE TABLE referral_codes (
  code TEXT PRIMARY KEY,              -- upper case (Stripe matches codes case-insensitively)
  referrer_id TEXT NOT NULL UNIQUE,
  action_id TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

-- A customer is referred at most once. Every write bumps version under a guard (optimistic concurrency).
CREATE TABLE referrals (
  referred_id TEXT PRIMARY KEY,
  referrer_id TEXT NOT NULL,
  code TEXT,
  source TEXT NOT NULL CHECK (source IN ('promotion_code', 'client_reference_id', 'referral_code', 'manual')),
  status TEXT NOT NULL CHECK (status IN ('attributed', 'refused', 'pending', 'held', 'paid', 'canceled', 'clawed_back')),
  reason TEXT,
  attributed_at INTEGER NOT NULL,
  invoice_id TEXT,
  charge_id TEXT,
  payment_intent_id TEXT,
  invoice_amount INTEGER,
  invoice_currency TEXT,
  reward_amount INTEGER,
  currency TEXT,
  qualified_at INTEGER,
  release_at INTEGER,                 -- end of the hold
  paid_at INTEGER,
  ended_at INTEGER,                   -- refused, canceled or clawed back
  version INTEGER NOT NULL,
  write_token TEXT NOT NULL,          -- who wrote this version: the guard checks it
  updated_at INTEGER NOT NULL
);
CREATE INDEX referrals_referrer ON referrals (referrer_id, status);
CREATE INDEX referrals_due ON referrals (status, release_at);

-- Card fingerprints seen per customer (self-referral check), when the merchant records them.
CREATE TABLE card_fingerprints (
  fingerprint TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  seen_at INTEGER NOT NULL,
  PRIMARY KEY (fingerprint, customer_id)
);
CREATE INDEX card_fingerprints_customer ON card_fingerprints (customer_id);

-- Birthdays (MM-DD) are personal data: they live with the person, and an erasure clears them.
ALTER TABLE contacts ADD COLUMN birthday TEXT;
CREATE TRIGGER contacts_erase_birthday AFTER UPDATE OF erased_at ON contacts
WHEN NEW.erased_at IS NOT NULL AND NEW.birthday IS NOT NULL
BEGIN
  UPDATE contacts SET birthday = NULL WHERE id = NEW.id;
END;
