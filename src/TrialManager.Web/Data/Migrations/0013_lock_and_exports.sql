-- 0013: the database lock (level on the trial, its history with two-person unlocks), final unblinding, and the record
-- of every exported file with its content hash.

ALTER TABLE "Trials" ADD COLUMN "LockLevel" character varying(8) NOT NULL DEFAULT 'Open';
ALTER TABLE "Trials" ALTER COLUMN "LockLevel" DROP DEFAULT;
ALTER TABLE "Trials" ADD COLUMN "FinalUnblindedAt" timestamp with time zone;

CREATE TABLE "DatabaseLockChanges" (
    "Id" uuid NOT NULL,
    "TrialId" uuid NOT NULL,
    "FromLevel" character varying(8) NOT NULL,
    "ToLevel" character varying(8) NOT NULL,
    "Reason" character varying(2000) NOT NULL,
    "RequestedByUserId" character varying(450) NOT NULL,
    "RequestedByName" character varying(200) NOT NULL,
    "RequestedAt" timestamp with time zone NOT NULL,
    "ApprovedByUserId" character varying(450),
    "ApprovedByName" character varying(200),
    "AppliedAt" timestamp with time zone,
    "WithdrawnAt" timestamp with time zone,
    CONSTRAINT "PK_DatabaseLockChanges" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_DatabaseLockChanges_Trials_TrialId" FOREIGN KEY ("TrialId") REFERENCES "Trials" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "ExportRecords" (
    "Id" uuid NOT NULL,
    "TrialId" uuid NOT NULL,
    "Format" character varying(8) NOT NULL,
    "Unblinded" boolean NOT NULL,
    "Options" character varying(200) NOT NULL,
    "FileName" character varying(255) NOT NULL,
    "ContentHash" character(64) NOT NULL,
    "Bytes" bigint NOT NULL,
    "Participants" integer NOT NULL,
    "ExportedByUserId" character varying(450) NOT NULL,
    "ExportedByName" character varying(200) NOT NULL,
    "ExportedAt" timestamp with time zone NOT NULL,
    CONSTRAINT "PK_ExportRecords" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_ExportRecords_Trials_TrialId" FOREIGN KEY ("TrialId") REFERENCES "Trials" ("Id") ON DELETE RESTRICT
);

CREATE INDEX "IX_DatabaseLockChanges_TrialId" ON "DatabaseLockChanges" ("TrialId");
CREATE INDEX "IX_ExportRecords_TrialId" ON "ExportRecords" ("TrialId");

-- What left the system, and its hash, is evidence: a record, once written, is never changed or removed.
CREATE FUNCTION export_records_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'export records are append-only'
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER export_records_are_append_only
    BEFORE UPDATE OR DELETE ON "ExportRecords"
    FOR EACH ROW EXECUTE FUNCTION export_records_are_append_only();
