-- Idempotency keys expire (feedback.IdempotencyTTL): a claim past its
-- expires_at is never honoured and is replaced by the next claim of its key.
-- Claims made before this column existed read as expiring a day after their
-- creation ('' here; the store computes it).
ALTER TABLE idempotency_keys ADD COLUMN expires_at TEXT NOT NULL DEFAULT '';
