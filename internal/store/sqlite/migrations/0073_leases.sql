-- Leases, once-only claims and instance heartbeats (package lease). The
-- embedded store serves one process, so these are trivially exclusive; they
-- exist so that the same code runs on both stores.
CREATE TABLE leases (
	id         TEXT PRIMARY KEY, -- "name#term"
	name       TEXT NOT NULL,
	owner      TEXT NOT NULL,
	term       INTEGER NOT NULL,
	expires_at TEXT NOT NULL
);
CREATE INDEX leases_name_term ON leases (name, term);
CREATE TABLE claims (
	id  TEXT PRIMARY KEY,
	at  TEXT NOT NULL
);
CREATE INDEX claims_at ON claims (at);
CREATE TABLE instances (
	id    TEXT PRIMARY KEY,
	until TEXT NOT NULL
);
CREATE INDEX instances_until ON instances (until);
