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
