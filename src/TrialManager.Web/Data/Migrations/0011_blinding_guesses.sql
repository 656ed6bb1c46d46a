-- 0011: respondents' guesses of the arm at the protocol's blinding-assessment visits (for the blinding indices).

CREATE TABLE "BlindingGuesses" (
    "Id" uuid NOT NULL,
    "TrialId" uuid NOT NULL,
    "SiteId" uuid NOT NULL,
    "ParticipantId" uuid NOT NULL,
    "VisitCode" character varying(40) NOT NULL,
    "Respondent" character varying(24) NOT NULL,
    "GuessCode" character varying(40) NOT NULL,
    "Confidence" integer NOT NULL,
    "Basis" character varying(200) NOT NULL,
    "BasisOther" character varying(500),
    "RecordedByUserId" character varying(450) NOT NULL,
    "RecordedByName" character varying(200) NOT NULL,
    "RecordedAt" timestamp with time zone NOT NULL,
    CONSTRAINT "PK_BlindingGuesses" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_BlindingGuesses_Participants_ParticipantId" FOREIGN KEY ("ParticipantId") REFERENCES "Participants" ("Id") ON DELETE RESTRICT
);

CREATE UNIQUE INDEX "IX_BlindingGuesses_ParticipantId_VisitCode_Respondent" ON "BlindingGuesses" ("ParticipantId", "VisitCode", "Respondent");
CREATE INDEX "IX_BlindingGuesses_TrialId" ON "BlindingGuesses" ("TrialId");
