-- Email invitations to join a partner account with a role.
--
-- Only the SHA-256 of the link's token is stored. Resending an invitation replaces the hash
-- and the expiry on the same row, so the earlier link stops working.
CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    -- Normalised like users.email: trimmed and lower-cased.
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'operator', 'auditor')),
    token_hash TEXT NOT NULL UNIQUE,
    invited_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    -- Last time the link was sent; the link expires 24 hours after it.
    sent_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    accepted_at BIGINT,
    revoked_at BIGINT
);

-- At most one open invitation (neither accepted nor revoked) per address and account. An
-- expired one still counts: it is resent or revoked, not duplicated.
CREATE UNIQUE INDEX invitations_one_open ON invitations (partner_id, email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;
