-- Dashboard sessions live server-side, so logging out or rotating ADMIN_TOKEN ends them. The cookie holds a
-- random id; only its SHA-256 is stored. token_fingerprint is an HMAC (keyed by ADMIN_TOKEN) of a constant:
-- a session whose fingerprint differs from the current token's was made under an older token and is refused.
CREATE TABLE dashboard_sessions (
  id_hash TEXT PRIMARY KEY,
  token_fingerprint TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  user_agent TEXT NOT NULL
);
CREATE INDEX dashboard_sessions_expires ON dashboard_sessions (expires_at);

-- Failed admin-token checks per client (src/core/auth-throttle.ts): one row per client key, deleted on success
-- and pruned once forget_at has passed.
CREATE TABLE auth_throttle (
  client_key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  last_failure_at INTEGER NOT NULL,
  locked_until INTEGER NOT NULL,
  forget_at INTEGER NOT NULL
);
CREATE INDEX auth_throttle_forget ON auth_throttle (forget_at);
