-- Province accounts (OpenID Connect), staff side: the admin's mapping of
-- provider groups to staff roles, the acr values marked as a verified
-- identity, and each account's last stated acr.
CREATE TABLE oidc_group_mappings (
    id          TEXT PRIMARY KEY,
    grp         TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    agency_code TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE oidc_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE oidc_assurance (
    user_id    TEXT PRIMARY KEY,
    acr        TEXT NOT NULL,
    updated_at TEXT NOT NULL
) WITHOUT ROWID;
-- Staff accounts made or signed in through the provider, by the provider's
-- issuer and subject (never by email: that would let a provider account
-- take over a local one).
CREATE TABLE oidc_staff_links (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
) WITHOUT ROWID;
