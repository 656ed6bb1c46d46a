-- 0003: the append-only audit trail. Every entry is linked to the previous one by SHA-256 (a hash chain), the
-- database assigns the chain position and the time (its own UTC clock), and UPDATE, DELETE and TRUNCATE are refused.
-- Verification (AuditChainVerifier) recomputes every hash from the canonical text below; keep the two in step.

CREATE TABLE "AuditTrail" (
    "Id" bigint GENERATED ALWAYS AS IDENTITY,
    "ChainSeq" bigint NOT NULL,
    "OccurredAt" timestamp with time zone NOT NULL,
    "UserId" character varying(450) NOT NULL,
    "UserName" character varying(200) NOT NULL,
    "Roles" character varying(200) NOT NULL,
    "IpAddress" character varying(64) NOT NULL,
    "Action" character varying(64) NOT NULL,
    "EntityType" character varying(128) NOT NULL,
    "EntityId" character varying(512) NOT NULL,
    "TrialId" uuid,
    "SiteId" uuid,
    "ParticipantId" uuid,
    "Changes" text NOT NULL,
    "Reason" text NOT NULL,
    "PreviousHash" character(64) NOT NULL,
    "Hash" character(64) NOT NULL,
    CONSTRAINT "PK_AuditTrail" PRIMARY KEY ("Id")
);

CREATE UNIQUE INDEX "IX_AuditTrail_ChainSeq" ON "AuditTrail" ("ChainSeq");

CREATE INDEX "IX_AuditTrail_EntityType_EntityId" ON "AuditTrail" ("EntityType", "EntityId");

CREATE INDEX "IX_AuditTrail_ParticipantId_ChainSeq" ON "AuditTrail" ("ParticipantId", "ChainSeq");

CREATE INDEX "IX_AuditTrail_SiteId_ChainSeq" ON "AuditTrail" ("SiteId", "ChainSeq");

-- The text that is hashed: fields joined by the unit separator (U+001F), NULLs as empty text.
CREATE FUNCTION audit_trail_canonical(e "AuditTrail") RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT concat_ws(chr(31),
        e."ChainSeq"::text,
        e."PreviousHash",
        to_char(e."OccurredAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        e."UserId", e."UserName", e."Roles", e."IpAddress", e."Action", e."EntityType", e."EntityId",
        coalesce(e."TrialId"::text, ''), coalesce(e."SiteId"::text, ''), coalesce(e."ParticipantId"::text, ''),
        e."Changes", e."Reason")
$$;

CREATE FUNCTION audit_trail_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    last_seq bigint;
    last_hash character(64);
BEGIN
    -- One transaction at a time extends the chain; the lock is held until commit, so the previous entry read here is
    -- the last committed one (or an earlier entry of this same transaction).
    PERFORM pg_advisory_xact_lock(7418231);
    SELECT "ChainSeq", "Hash" INTO last_seq, last_hash FROM "AuditTrail" ORDER BY "ChainSeq" DESC LIMIT 1;
    NEW."ChainSeq" := coalesce(last_seq, 0) + 1;
    NEW."PreviousHash" := coalesce(last_hash, repeat('0', 64));
    NEW."OccurredAt" := date_trunc('microseconds', clock_timestamp());
    NEW."Hash" := encode(sha256(convert_to(audit_trail_canonical(NEW), 'UTF8')), 'hex');
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_trail_chain BEFORE INSERT ON "AuditTrail"
    FOR EACH ROW EXECUTE FUNCTION audit_trail_chain();

CREATE FUNCTION audit_trail_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'The audit trail is append-only: % on "AuditTrail" is refused.', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_trail_no_update_or_delete BEFORE UPDATE OR DELETE ON "AuditTrail"
    FOR EACH ROW EXECUTE FUNCTION audit_trail_refuse_change();

CREATE TRIGGER audit_trail_no_truncate BEFORE TRUNCATE ON "AuditTrail"
    FOR EACH STATEMENT EXECUTE FUNCTION audit_trail_refuse_change();
