-- A customer's place in the loyalty program (programPositions in src/store/loyalty.ts: its referral, the referrals
-- it waits to be paid for, its paid count, badges and code) is kept by its account shard between steps
-- (src/shard/customer-copy.ts). Other customers' steps, jobs and the admin API write those rows, so every write that
-- can change a position moves this counter, and the commit's guard (src/store/apply-guard.ts) checks it.
ALTER TABLE customers ADD COLUMN loyalty_seq INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER referrals_position_insert AFTER INSERT ON referrals BEGIN
  UPDATE customers SET loyalty_seq = loyalty_seq + 1 WHERE id IN (NEW.referred_id, NEW.referrer_id);
END;
CREATE TRIGGER referrals_position_update AFTER UPDATE ON referrals BEGIN
  UPDATE customers SET loyalty_seq = loyalty_seq + 1 WHERE id IN (NEW.referred_id, NEW.referrer_id, OLD.referred_id, OLD.referrer_id);
END;
CREATE TRIGGER referrals_position_delete AFTER DELETE ON referrals BEGIN
  UPDATE customers SET loyalty_seq = loyalty_seq + 1 WHERE id IN (OLD.referred_id, OLD.referrer_id);
END;

CREATE TRIGGER badges_position_insert AFTER INSERT ON loyalty_ledger WHEN NEW.entry = 'badge.awarded' BEGIN
  UPDATE customers SET loyalty_seq = loyalty_seq + 1 WHERE id = NEW.customer_id;
END;
CREATE TRIGGER badges_position_update AFTER UPDATE ON loyalty_ledger WHEN NEW.entry = 'badge.awarded' OR OLD.entry = 'badge.awarded' BEGIN
  UPDATE customers SET loyalty_seq = loyalty_seq + 1 WHERE id IN (NEW.customer_id, OLD.customer_id);
END;
CREATE TRIGGER badges_position_delete AFTER DELETE ON loyalty_ledger WHEN OLD.entry = 'badge.awarded' BEGIN
  UPDATE customers SET loyalty_seq = loyalty_seq + 1 WHERE id = OLD.customer_id;
END;

CREATE TRIGGER codes_position_insert AFTER INSERT ON referral_codes BEGIN
  UPDATE customers SET loyalty_seq = loyalty_seq + 1 WHERE id = NEW.referrer_id;
END;
CREATE TRIGGER codes_position_update AFTER UPDATE ON referral_codes BEGIN
  UPDATE customers SET loyalty_seq = loyalty_seq + 1 WHERE id IN (NEW.referrer_id, OLD.referrer_id);
END;
CREATE TRIGGER codes_position_delete AFTER DELETE ON referral_codes BEGIN
  UPDATE customers SET loyalty_seq = loyalty_seq + 1 WHERE id = OLD.referrer_id;
END;
