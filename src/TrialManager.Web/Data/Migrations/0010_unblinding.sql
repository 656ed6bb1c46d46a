-- 0010: reveals of single allocations (vault and emergency code-break; never the arm itself) and two-person
-- requests for the whole allocation list.

CREATE TABLE "Unblindings" (
    "Id" uuid NOT NULL,
    "TrialId" uuid NOT NULL,
    "SiteId" uuid NOT NULL,
    "ParticipantId" uuid NOT NULL,
    "Kind" character varying(24) NOT NULL,
    "Reason" character varying(24) NOT NULL,
    "Explanation" character varying(2000) NOT NULL,
    "RevealedByUserId" character varying(450) NOT NULL,
    "RevealedByName" character varying(200) NOT NULL,
    "RevealedAt" timestamp with time zone NOT NULL,
    CONSTRAINT "PK_Unblindings" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_Unblindings_Participants_ParticipantId" FOREIGN KEY ("ParticipantId") REFERENCES "Participants" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "ListAccessRequests" (
    "Id" uuid NOT NULL,
    "TrialId" uuid NOT NULL,
    "Purpose" character varying(16) NOT NULL,
    "Justification" character varying(2000) NOT NULL,
    "RequestedByUserId" character varying(450) NOT NULL,
    "RequestedByName" character varying(200) NOT NULL,
    "RequestedAt" timestamp with time zone NOT NULL,
    "ApprovedByUserId" character varying(450),
    "ApprovedByName" character varying(200),
    "ApprovedAt" timestamp with time zone,
    "ExpiresAt" timestamp with time zone,
    CONSTRAINT "PK_ListAccessRequests" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_ListAccessRequests_Trials_TrialId" FOREIGN KEY ("TrialId") REFERENCES "Trials" ("Id") ON DELETE RESTRICT
);

CREATE INDEX "IX_ListAccessRequests_TrialId" ON "ListAccessRequests" ("TrialId");
CREATE INDEX "IX_Unblindings_ParticipantId" ON "Unblindings" ("ParticipantId");
