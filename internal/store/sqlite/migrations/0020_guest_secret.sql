-- Guests sign in with their device ID and a secret the service issued
-- (only its SHA-256 is kept). Guests created before have none: they get
-- one only by asking with their own valid token (see identity.Guest).
ALTER TABLE users ADD COLUMN guest_secret_hash TEXT NOT NULL DEFAULT '';
