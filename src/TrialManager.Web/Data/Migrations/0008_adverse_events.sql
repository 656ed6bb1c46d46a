-- 0008: adverse events (versioned reports), the sponsor's assessments, expedited reports, clock alerts, and the
-- e-mail outbox; signatures may now sign an adverse event report.

CREATE TABLE "AdverseEvents" (
    "Id" uuid NOT NULL,
    "TrialId" uuid NOT NULL,
    "SiteId" uuid NOT NULL,
    "ParticipantId" uuid NOT NULL,
    "Number" character varying(40) NOT NULL,
    "CurrentVersion" integer NOT NULL,
    "CreatedAt" timestamp with time zone NOT NULL,
    CONSTRAINT "PK_AdverseEvents" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_AdverseEvents_Participants_ParticipantId" FOREIGN KEY ("ParticipantId") REFERENCES "Participants" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "AdverseEventVersions" (
    "Id" uuid NOT NULL,
    "AdverseEventId" uuid NOT NULL,
    "TrialId" uuid NOT NULL,
    "SiteId" uuid NOT NULL,
    "ParticipantId" uuid NOT NULL,
    "Version" integer NOT NULL,
    "ReportedTerm" character varying(200) NOT NULL,
    "CodedTerm" character varying(200),
    "Code" character varying(20),
    "Onset" date NOT NULL,
    "End" date,
    "Grade" integer NOT NULL,
    "Serious" boolean NOT NULL,
    "SeriousnessCriteria" character varying(400) NOT NULL,
    "Causality" character varying(24) NOT NULL,
    "ActionTaken" character varying(24) NOT NULL,
    "Outcome" character varying(24) NOT NULL,
    "SpecialInterestCode" character varying(40),
    "Narrative" character varying(4000),
    "SiteAwareAt" timestamp with time zone NOT NULL,
    "ReceivedAt" timestamp with time zone NOT NULL,
    "ReportedByUserId" character varying(450) NOT NULL,
    "ReportedByName" character varying(200) NOT NULL,
    "FollowUpNote" character varying(2000),
    CONSTRAINT "PK_AdverseEventVersions" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_AdverseEventVersions_AdverseEvents_AdverseEventId" FOREIGN KEY ("AdverseEventId") REFERENCES "AdverseEvents" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "SafetyAssessments" (
    "Id" uuid NOT NULL,
    "AdverseEventId" uuid NOT NULL,
    "TrialId" uuid NOT NULL,
    "SiteId" uuid NOT NULL,
    "ParticipantId" uuid NOT NULL,
    "AssessedVersion" integer NOT NULL,
    "SponsorCausality" character varying(24) NOT NULL,
    "Expected" boolean NOT NULL,
    "IsSusar" boolean NOT NULL,
    "Rationale" character varying(2000) NOT NULL,
    "AssessedAt" timestamp with time zone NOT NULL,
    "AssessedByUserId" character varying(450) NOT NULL,
    "AssessedByName" character varying(200) NOT NULL,
    CONSTRAINT "PK_SafetyAssessments" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_SafetyAssessments_AdverseEvents_AdverseEventId" FOREIGN KEY ("AdverseEventId") REFERENCES "AdverseEvents" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "ExpeditedReports" (
    "Id" uuid NOT NULL,
    "AdverseEventId" uuid NOT NULL,
    "TrialId" uuid NOT NULL,
    "SiteId" uuid NOT NULL,
    "ParticipantId" uuid NOT NULL,
    "CoversVersion" integer NOT NULL,
    "SubmittedAt" timestamp with time zone NOT NULL,
    "Reference" character varying(100) NOT NULL,
    "RecordedByName" character varying(200) NOT NULL,
    "RecordedAt" timestamp with time zone NOT NULL,
    CONSTRAINT "PK_ExpeditedReports" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_ExpeditedReports_AdverseEvents_AdverseEventId" FOREIGN KEY ("AdverseEventId") REFERENCES "AdverseEvents" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "SafetyAlerts" (
    "Id" uuid NOT NULL,
    "AdverseEventId" uuid NOT NULL,
    "TrialId" uuid NOT NULL,
    "SiteId" uuid NOT NULL,
    "ParticipantId" uuid NOT NULL,
    "ClockKey" character varying(40) NOT NULL,
    "Level" character varying(16) NOT NULL,
    "RaisedAt" timestamp with time zone NOT NULL,
    CONSTRAINT "PK_SafetyAlerts" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_SafetyAlerts_AdverseEvents_AdverseEventId" FOREIGN KEY ("AdverseEventId") REFERENCES "AdverseEvents" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "OutboxEmails" (
    "Id" uuid NOT NULL,
    "ToAddress" character varying(256) NOT NULL,
    "Subject" character varying(200) NOT NULL,
    "Body" character varying(4000) NOT NULL,
    "CreatedAt" timestamp with time zone NOT NULL,
    "Attempts" integer NOT NULL,
    "NextAttemptAt" timestamp with time zone NOT NULL,
    "SentAt" timestamp with time zone,
    "GaveUpAt" timestamp with time zone,
    "LastError" character varying(1000),
    CONSTRAINT "PK_OutboxEmails" PRIMARY KEY ("Id")
);

CREATE INDEX "IX_AdverseEvents_ParticipantId" ON "AdverseEvents" ("ParticipantId");
CREATE INDEX "IX_AdverseEvents_SiteId" ON "AdverseEvents" ("SiteId");
CREATE UNIQUE INDEX "IX_AdverseEvents_TrialId_Number" ON "AdverseEvents" ("TrialId", "Number");
CREATE UNIQUE INDEX "IX_AdverseEventVersions_AdverseEventId_Version" ON "AdverseEventVersions" ("AdverseEventId", "Version");
CREATE INDEX "IX_ExpeditedReports_AdverseEventId" ON "ExpeditedReports" ("AdverseEventId");
CREATE INDEX "IX_OutboxEmails_SentAt_NextAttemptAt" ON "OutboxEmails" ("SentAt", "NextAttemptAt");
CREATE UNIQUE INDEX "IX_SafetyAlerts_AdverseEventId_ClockKey_Level" ON "SafetyAlerts" ("AdverseEventId", "ClockKey", "Level");
CREATE INDEX "IX_SafetyAssessments_AdverseEventId" ON "SafetyAssessments" ("AdverseEventId");


ALTER TABLE "Signatures" ADD COLUMN "AdverseEventId" uuid;
ALTER TABLE "Signatures" ADD COLUMN "AdverseEventVersion" integer;
ALTER TABLE "Signatures" ADD CONSTRAINT "FK_Signatures_AdverseEvents_AdverseEventId" FOREIGN KEY ("AdverseEventId") REFERENCES "AdverseEvents" ("Id") ON DELETE RESTRICT;
CREATE INDEX "IX_Signatures_AdverseEventId" ON "Signatures" ("AdverseEventId");

-- A submitted report version is what the sponsor knew and when: it is never changed or removed, even by mistake.
CREATE FUNCTION adverse_event_versions_are_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'adverse event report versions cannot be changed or deleted; file a follow-up instead'
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER adverse_event_versions_are_final
    BEFORE UPDATE OR DELETE ON "AdverseEventVersions"
    FOR EACH ROW EXECUTE FUNCTION adverse_event_versions_are_final();
