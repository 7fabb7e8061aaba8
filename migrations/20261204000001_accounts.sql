-- Partner accounts, people, memberships, sessions, emailed tokens and the audit log.
--
-- Portable SQL: this file runs unchanged on SQLite and PostgreSQL. Ids are UUIDv7 text made by
-- the application, times are BIGINT Unix milliseconds, and there are no auto-increment columns.

-- Sequential numbers without auto-increment, which the two engines spell differently.
-- `UPDATE counters SET value = value + 1 ... RETURNING value` is atomic on both.
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('partner_number', 0);

CREATE TABLE partners (
    id TEXT PRIMARY KEY,
    -- The partner ID that people see, shown zero-padded (002).
    number BIGINT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- ISO 3166-1 alpha-2.
    country TEXT NOT NULL,
    plan TEXT NOT NULL DEFAULT 'standard' CHECK (plan IN ('standard', 'enterprise')),
    created_at BIGINT NOT NULL
);

-- One login per person, whatever the number of accounts they belong to.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    -- Trimmed and lower-cased by the application before every read and write.
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- PHC string; Argon2id with its salt and parameters.
    password_hash TEXT NOT NULL,
    -- NULL until the person opens the confirmation link; they cannot sign in before.
    email_confirmed_at BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE memberships (
    partner_id TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'operator', 'auditor')),
    created_at BIGINT NOT NULL,
    last_active_at BIGINT,
    PRIMARY KEY (partner_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

-- Server-side sessions. The cookie carries a random secret; only its SHA-256 is stored, so a
-- copy of this table cannot be replayed as cookies.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The partner account this session acts on; NULL until one is chosen.
    partner_id TEXT REFERENCES partners (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Single-use links sent by email. Only the SHA-256 of each token is stored.
CREATE TABLE email_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('confirm_email', 'reset_password')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX email_tokens_by_user ON email_tokens (user_id, purpose);

-- Append-only record of security-relevant changes. No foreign keys: the log must outlive the
-- members and accounts it mentions. The application only ever inserts here.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    partner_id TEXT,
    actor_user_id TEXT,
    action TEXT NOT NULL,
    target TEXT,
    ip TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_events_by_partner ON audit_events (partner_id, created_at);
