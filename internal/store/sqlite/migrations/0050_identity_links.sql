-- OpenID Connect (issue 19). Accounts linked to identities at the
-- province's provider: (issuer, subject) is unique across accounts.
CREATE TABLE identity_links (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (issuer, subject)
);
CREATE INDEX identity_links_user ON identity_links (user_id, created_at);

-- Exchanged provider tokens (by jti or hash), remembered until they expire
-- so each is exchanged once.
CREATE TABLE exchanged_tokens (
    key        TEXT PRIMARY KEY,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX exchanged_tokens_expires ON exchanged_tokens (expires_at);

-- The accounts' history of sign-in identities (links, take-overs, unlinks).
CREATE TABLE account_events (
    id      TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    kind    TEXT NOT NULL,
    at      TEXT NOT NULL,
    issuer  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX account_events_user ON account_events (user_id, at);

-- A phone the provider verified; the generation every access token must
-- carry at least (raised to cut off the tokens issued before).
ALTER TABLE users ADD COLUMN phone_verified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN token_generation INTEGER NOT NULL DEFAULT 0;
