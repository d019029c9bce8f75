-- Accounts. Logins (email, phone, device hash) are unique when set; NULL
-- when not.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    name          TEXT NOT NULL DEFAULT '',
    email         TEXT UNIQUE,
    phone         TEXT UNIQUE,
    device_hash   TEXT UNIQUE,
    agency_code   TEXT NOT NULL DEFAULT '',
    locale        TEXT NOT NULL DEFAULT 'vi',
    password_hash TEXT NOT NULL DEFAULT '',
    disabled      INTEGER NOT NULL DEFAULT 0,
    erased        INTEGER NOT NULL DEFAULT 0,
    version       INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX users_role_agency ON users (role, agency_code, id);

-- Refresh tokens, by hash only.
CREATE TABLE refresh_tokens (
    hash       TEXT PRIMARY KEY,
    family_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    used       INTEGER NOT NULL DEFAULT 0,
    revoked    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

-- Ed25519 signing keys; the private half sealed.
CREATE TABLE signing_keys (
    kid            TEXT PRIMARY KEY,
    public_key     BLOB NOT NULL,
    sealed_private BLOB NOT NULL,
    created_at     TEXT NOT NULL
);

-- Failed-login counters in fixed windows.
CREATE TABLE login_attempts (
    key          TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
) WITHOUT ROWID;
CREATE INDEX login_attempts_window ON login_attempts (window_start);
