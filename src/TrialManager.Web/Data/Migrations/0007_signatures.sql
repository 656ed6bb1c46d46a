-- 0007: electronic signatures of a visit's forms (who, when, meaning, and a hash of the content signed).

CREATE TABLE "Signatures" (
    "Id" uuid NOT NULL,
    "TrialId" uuid NOT NULL,
    "SiteId" uuid NOT NULL,
    "ParticipantId" uuid NOT NULL,
    "VisitCode" character varying(40) NOT NULL,
    "Meaning" character varying(100) NOT NULL,
    "ContentHash" character(64) NOT NULL,
    "SignedByUserId" character varying(450) NOT NULL,
    "SignedByName" character varying(200) NOT NULL,
    "SignedAt" timestamp with time zone NOT NULL,
    CONSTRAINT "PK_Signatures" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_Signatures_Participants_ParticipantId" FOREIGN KEY ("ParticipantId") REFERENCES "Participants" ("Id") ON DELETE RESTRICT
);

CREATE INDEX "IX_Signatures_ParticipantId_VisitCode" ON "Signatures" ("ParticipantId", "VisitCode");
