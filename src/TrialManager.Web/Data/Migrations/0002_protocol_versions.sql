-- 0002: protocol versions (the original and each amendment, as imported) and the sites taking part in each trial.

CREATE TABLE "ProtocolVersions" (
    "Id" uuid NOT NULL,
    "TrialId" uuid NOT NULL,
    "Sequence" integer NOT NULL,
    "Version" character varying(32) NOT NULL,
    "ContentHash" character(64) NOT NULL,
    "FileName" character varying(255) NOT NULL,
    "SealedSourceText" bytea NOT NULL,
    "ImportedAt" timestamp with time zone NOT NULL,
    "ImportedBy" character varying(450) NOT NULL,
    "ImportedByName" character varying(200) NOT NULL,
    CONSTRAINT "PK_ProtocolVersions" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_ProtocolVersions_Trials_TrialId" FOREIGN KEY ("TrialId") REFERENCES "Trials" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "TrialSites" (
    "TrialId" uuid NOT NULL,
    "SiteId" uuid NOT NULL,
    CONSTRAINT "PK_TrialSites" PRIMARY KEY ("TrialId", "SiteId"),
    CONSTRAINT "FK_TrialSites_Sites_SiteId" FOREIGN KEY ("SiteId") REFERENCES "Sites" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_TrialSites_Trials_TrialId" FOREIGN KEY ("TrialId") REFERENCES "Trials" ("Id") ON DELETE CASCADE
);

CREATE UNIQUE INDEX "IX_ProtocolVersions_TrialId_ContentHash" ON "ProtocolVersions" ("TrialId", "ContentHash");

CREATE UNIQUE INDEX "IX_ProtocolVersions_TrialId_Sequence" ON "ProtocolVersions" ("TrialId", "Sequence");

CREATE INDEX "IX_TrialSites_SiteId" ON "TrialSites" ("SiteId");
