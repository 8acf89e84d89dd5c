-- An event that matched no customer waits in the inbox as `unmatched`, with the keys it waits for (unmatched_keys).
-- Whatever links one of those keys to a customer puts it back to `received` in the same statement: a consumer's
-- commit, a link from the dashboard or the admin API, a merge, a CRM move. The consumer then hands it to the queue
-- (redriveUnmatched), or the sweeper does if nobody did. This was a statement of every commit that linked a key.
CREATE TRIGGER identities_redrive AFTER INSERT ON identities BEGIN
  UPDATE inbox_events SET status = 'received', attempts = 0
  WHERE +status = 'unmatched' AND id IN (SELECT event_id FROM unmatched_keys WHERE kind = NEW.kind AND value = NEW.value);
END;

-- A person seen before without a customer (a contact key) is linked when the contact row gets one.
CREATE TRIGGER contacts_redrive_insert AFTER INSERT ON contacts WHEN NEW.customer_id IS NOT NULL BEGIN
  UPDATE inbox_events SET status = 'received', attempts = 0
  WHERE +status = 'unmatched' AND id IN (SELECT event_id FROM unmatched_keys WHERE kind = 'contact' AND value = NEW.id);
END;
CREATE TRIGGER contacts_redrive_update AFTER UPDATE OF customer_id ON contacts WHEN NEW.customer_id IS NOT NULL AND OLD.customer_id IS NULL BEGIN
  UPDATE inbox_events SET status = 'received', attempts = 0
  WHERE +status = 'unmatched' AND id IN (SELECT event_id FROM unmatched_keys WHERE kind = 'contact' AND value = NEW.id);
END;
