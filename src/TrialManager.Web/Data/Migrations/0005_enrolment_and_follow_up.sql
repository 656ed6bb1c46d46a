-- 0005: enrolment and follow-up records: consent and withdrawal on participants, eligibility assessments, case report
-- form entries (one row per field value, so the audit trail shows each field's old and new value), visit records,
-- protocol deviations, data queries, diary entries, and kit returns.

ALTER TABLE "Participants"
    ADD COLUMN "Initials" character varying(3),
    ADD COLUMN "ConsentFormVersion" character varying(100),
    ADD COLUMN "ConsentObtainedByName" character varying(200),
    ADD COLUMN "ConsentWithdrawnOn" date,
    ADD COLUMN "DrugDiscontinuedOn" date,
    ADD COLUMN "DrugDiscontinuationReason" character varying(1000),
    ADD COLUMN "WithdrawnOn" date,
    ADD COLUMN "WithdrawalReason" character varying(1000);

ALTER TABLE "Kits"
    ADD COLUMN "ReturnedOn" date,
    ADD COLUMN "UnusedUnitsReturned" integer;

CREATE TABLE "DiaryEntries" (
    "ParticipantId" uuid NOT NULL,
    "StudyDay" integer NOT NULL,
    "SiteId" uuid NOT NULL,
    "TookDose" boolean NOT NULL,
    "RecordedAt" timestamp with time zone NOT NULL,
    "RecordedByName" character varying(200) NOT NULL,
    CONSTRAINT "PK_DiaryEntries" PRIMARY KEY ("ParticipantId", "StudyDay"),
    CONSTRAINT "FK_DiaryEntries_Participants_ParticipantId" FOREIGN KEY ("ParticipantId") REFERENCES "Participants" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "EligibilityAssessments" (
    "Id" uuid NOT NULL,
    "TrialId" uuid NOT NULL,
    "SiteId" uuid NOT NULL,
    "ParticipantId" uuid NOT NULL,
    "ProtocolVersionId" uuid NOT NULL,
    "AnswersJson" text NOT NULL,
    "Eligible" boolean NOT NULL,
    "FailuresJson" text NOT NULL,
    "AssessedAt" timestamp with time zone NOT NULL,
    "AssessedByName" character varying(200) NOT NULL,
    CONSTRAINT "PK_EligibilityAssessments" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_EligibilityAssessments_Participants_ParticipantId" FOREIGN KEY ("ParticipantId") REFERENCES "Participants" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "FormEntries" (
    "Id" uuid NOT NULL,
    "TrialId" uuid NOT NULL,
    "SiteId" uuid NOT NULL,
    "ParticipantId" uuid NOT NULL,
    "ProtocolVersionId" uuid NOT NULL,
    "VisitCode" character varying(40) NOT NULL,
    "FormCode" character varying(40) NOT NULL,
    "Status" character varying(16) NOT NULL,
    "ScoresJson" text NOT NULL,
    "UpdatedAt" timestamp with time zone NOT NULL,
    "UpdatedByName" character varying(200) NOT NULL,
    "CompletedAt" timestamp with time zone,
    CONSTRAINT "PK_FormEntries" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_FormEntries_Participants_ParticipantId" FOREIGN KEY ("ParticipantId") REFERENCES "Participants" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_FormEntries_ProtocolVersions_ProtocolVersionId" FOREIGN KEY ("ProtocolVersionId") REFERENCES "ProtocolVersions" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "ProtocolDeviations" (
    "Id" uuid NOT NULL,
    "TrialId" uuid NOT NULL,
    "SiteId" uuid NOT NULL,
    "ParticipantId" uuid NOT NULL,
    "VisitCode" character varying(40) NOT NULL,
    "Kind" character varying(24) NOT NULL,
    "Description" character varying(2000) NOT NULL,
    "RaisedAt" timestamp with time zone NOT NULL,
    "RaisedByName" character varying(200) NOT NULL,
    CONSTRAINT "PK_ProtocolDeviations" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_ProtocolDeviations_Participants_ParticipantId" FOREIGN KEY ("ParticipantId") REFERENCES "Participants" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "VisitRecords" (
    "ParticipantId" uuid NOT NULL,
    "VisitCode" character varying(40) NOT NULL,
    "SiteId" uuid NOT NULL,
    "DoneOn" date,
    "Missed" boolean NOT NULL,
    "RecordedAt" timestamp with time zone NOT NULL,
    "RecordedByName" character varying(200) NOT NULL,
    CONSTRAINT "PK_VisitRecords" PRIMARY KEY ("ParticipantId", "VisitCode"),
    CONSTRAINT "FK_VisitRecords_Participants_ParticipantId" FOREIGN KEY ("ParticipantId") REFERENCES "Participants" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "DataQueries" (
    "Id" uuid NOT NULL,
    "FormEntryId" uuid NOT NULL,
    "SiteId" uuid NOT NULL,
    "ParticipantId" uuid NOT NULL,
    "FieldCode" character varying(40) NOT NULL,
    "Status" character varying(16) NOT NULL,
    "Question" character varying(2000) NOT NULL,
    "RaisedAt" timestamp with time zone NOT NULL,
    "RaisedByName" character varying(200) NOT NULL,
    "Answer" character varying(2000),
    "AnsweredAt" timestamp with time zone,
    "AnsweredByName" character varying(200),
    "ClosedAt" timestamp with time zone,
    CONSTRAINT "PK_DataQueries" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_DataQueries_FormEntries_FormEntryId" FOREIGN KEY ("FormEntryId") REFERENCES "FormEntries" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "FormValues" (
    "FormEntryId" uuid NOT NULL,
    "FieldCode" character varying(40) NOT NULL,
    "Value" character varying(4000) NOT NULL,
    "SiteId" uuid NOT NULL,
    "ParticipantId" uuid NOT NULL,
    CONSTRAINT "PK_FormValues" PRIMARY KEY ("FormEntryId", "FieldCode"),
    CONSTRAINT "FK_FormValues_FormEntries_FormEntryId" FOREIGN KEY ("FormEntryId") REFERENCES "FormEntries" ("Id") ON DELETE CASCADE
);

CREATE INDEX "IX_DataQueries_FormEntryId" ON "DataQueries" ("FormEntryId");

CREATE INDEX "IX_DataQueries_SiteId_Status" ON "DataQueries" ("SiteId", "Status");

CREATE INDEX "IX_EligibilityAssessments_ParticipantId" ON "EligibilityAssessments" ("ParticipantId");

CREATE UNIQUE INDEX "IX_FormEntries_ParticipantId_VisitCode_FormCode" ON "FormEntries" ("ParticipantId", "VisitCode", "FormCode");

CREATE INDEX "IX_FormEntries_ProtocolVersionId" ON "FormEntries" ("ProtocolVersionId");

CREATE INDEX "IX_FormEntries_SiteId_Status" ON "FormEntries" ("SiteId", "Status");

CREATE INDEX "IX_ProtocolDeviations_ParticipantId" ON "ProtocolDeviations" ("ParticipantId");
