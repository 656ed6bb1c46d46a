-- 0004: the sealed randomization service: trial data keys (wrapped), the sealed list and its slots, stratum cursors,
-- kits with sealed arms, dispensing, participants (pseudonymous), per-trial counters and in-app notifications.

CREATE TABLE "TrialCounters" (
    "TrialId" uuid NOT NULL,
    "Name" character varying(64) NOT NULL,
    "Value" integer NOT NULL,
    CONSTRAINT "PK_TrialCounters" PRIMARY KEY ("TrialId", "Name")
);

CREATE TABLE "Notifications" (
    "Id" uuid NOT NULL,
    "UserId" character varying(450) NOT NULL,
    "Subject" character varying(200) NOT NULL,
    "Body" character varying(2000) NOT NULL,
    "Link" character varying(400) NOT NULL,
    "CreatedAt" timestamp with time zone NOT NULL,
    "ReadAt" timestamp with time zone,
    CONSTRAINT "PK_Notifications" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_Notifications_AspNetUsers_UserId" FOREIGN KEY ("UserId") REFERENCES "AspNetUsers" ("Id") ON DELETE CASCADE
);

CREATE TABLE "TrialKeys" (
    "TrialId" uuid NOT NULL,
    "MasterKeyId" character varying(16) NOT NULL,
    "WrappedKey" bytea NOT NULL,
    CONSTRAINT "PK_TrialKeys" PRIMARY KEY ("TrialId"),
    CONSTRAINT "FK_TrialKeys_Trials_TrialId" FOREIGN KEY ("TrialId") REFERENCES "Trials" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "Participants" (
    "Id" uuid NOT NULL,
    "TrialId" uuid NOT NULL,
    "SiteId" uuid NOT NULL,
    "Number" character varying(48) NOT NULL,
    "YearOfBirth" integer NOT NULL,
    "Sex" character varying(40) NOT NULL,
    "ProtocolVersionId" uuid NOT NULL,
    "Status" character varying(16) NOT NULL,
    "ConsentedOn" date,
    "EligibilityConfirmedAt" timestamp with time zone,
    "StratumLevels" character varying(400) NOT NULL,
    "RandomizationNumber" character varying(32),
    "RandomizedAt" timestamp with time zone,
    "RandomizedBy" character varying(450),
    "RandomizedByName" character varying(200),
    "CreatedAt" timestamp with time zone NOT NULL,
    CONSTRAINT "PK_Participants" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_Participants_ProtocolVersions_ProtocolVersionId" FOREIGN KEY ("ProtocolVersionId") REFERENCES "ProtocolVersions" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_Participants_Sites_SiteId" FOREIGN KEY ("SiteId") REFERENCES "Sites" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_Participants_Trials_TrialId" FOREIGN KEY ("TrialId") REFERENCES "Trials" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "RandomizationLists" (
    "Id" uuid NOT NULL,
    "TrialId" uuid NOT NULL,
    "ProtocolVersionId" uuid NOT NULL,
    "Commitment" character(64) NOT NULL,
    "SealedSeed" bytea NOT NULL,
    "SealedSalt" bytea NOT NULL,
    "StrataCount" integer NOT NULL,
    "SlotsPerStratum" integer NOT NULL,
    "CreatedAt" timestamp with time zone NOT NULL,
    "CreatedBy" character varying(450) NOT NULL,
    CONSTRAINT "PK_RandomizationLists" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_RandomizationLists_ProtocolVersions_ProtocolVersionId" FOREIGN KEY ("ProtocolVersionId") REFERENCES "ProtocolVersions" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_RandomizationLists_Trials_TrialId" FOREIGN KEY ("TrialId") REFERENCES "Trials" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "Kits" (
    "Id" uuid NOT NULL,
    "TrialId" uuid NOT NULL,
    "Code" character varying(16) NOT NULL,
    "SealedArm" bytea NOT NULL,
    "SiteId" uuid,
    "State" character varying(16) NOT NULL,
    "ExpiresOn" date NOT NULL,
    "ParticipantId" uuid,
    "DispensedAt" timestamp with time zone,
    "ReplacesKitId" uuid,
    CONSTRAINT "PK_Kits" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_Kits_Participants_ParticipantId" FOREIGN KEY ("ParticipantId") REFERENCES "Participants" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_Kits_Sites_SiteId" FOREIGN KEY ("SiteId") REFERENCES "Sites" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_Kits_Trials_TrialId" FOREIGN KEY ("TrialId") REFERENCES "Trials" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "RandomizationSlots" (
    "Id" uuid NOT NULL,
    "ListId" uuid NOT NULL,
    "TrialId" uuid NOT NULL,
    "StratumKey" character varying(400) NOT NULL,
    "Number" integer NOT NULL,
    "SealedArm" bytea NOT NULL,
    "ParticipantId" uuid,
    "AssignedAt" timestamp with time zone,
    CONSTRAINT "PK_RandomizationSlots" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_RandomizationSlots_Participants_ParticipantId" FOREIGN KEY ("ParticipantId") REFERENCES "Participants" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_RandomizationSlots_RandomizationLists_ListId" FOREIGN KEY ("ListId") REFERENCES "RandomizationLists" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "StratumCursors" (
    "ListId" uuid NOT NULL,
    "StratumKey" character varying(400) NOT NULL,
    "NextNumber" integer NOT NULL,
    CONSTRAINT "PK_StratumCursors" PRIMARY KEY ("ListId", "StratumKey"),
    CONSTRAINT "FK_StratumCursors_RandomizationLists_ListId" FOREIGN KEY ("ListId") REFERENCES "RandomizationLists" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "Dispensings" (
    "Id" uuid NOT NULL,
    "TrialId" uuid NOT NULL,
    "SiteId" uuid NOT NULL,
    "ParticipantId" uuid NOT NULL,
    "KitId" uuid NOT NULL,
    "KitCode" character varying(16) NOT NULL,
    "Kind" character varying(16) NOT NULL,
    "VisitCode" character varying(40) NOT NULL,
    "At" timestamp with time zone NOT NULL,
    "ByUserId" character varying(450) NOT NULL,
    "ByName" character varying(200) NOT NULL,
    CONSTRAINT "PK_Dispensings" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_Dispensings_Kits_KitId" FOREIGN KEY ("KitId") REFERENCES "Kits" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_Dispensings_Participants_ParticipantId" FOREIGN KEY ("ParticipantId") REFERENCES "Participants" ("Id") ON DELETE RESTRICT
);

CREATE UNIQUE INDEX "IX_Dispensings_KitId" ON "Dispensings" ("KitId");

CREATE INDEX "IX_Dispensings_ParticipantId" ON "Dispensings" ("ParticipantId");

CREATE UNIQUE INDEX "IX_Kits_Code" ON "Kits" ("Code");

CREATE INDEX "IX_Kits_ParticipantId" ON "Kits" ("ParticipantId");

CREATE INDEX "IX_Kits_SiteId" ON "Kits" ("SiteId");

CREATE INDEX "IX_Kits_TrialId_SiteId_State" ON "Kits" ("TrialId", "SiteId", "State");

CREATE INDEX "IX_Notifications_UserId_ReadAt" ON "Notifications" ("UserId", "ReadAt");

CREATE INDEX "IX_Participants_ProtocolVersionId" ON "Participants" ("ProtocolVersionId");

CREATE INDEX "IX_Participants_SiteId_Status" ON "Participants" ("SiteId", "Status");

CREATE UNIQUE INDEX "IX_Participants_TrialId_Number" ON "Participants" ("TrialId", "Number");

CREATE UNIQUE INDEX "IX_Participants_TrialId_RandomizationNumber" ON "Participants" ("TrialId", "RandomizationNumber");

CREATE INDEX "IX_RandomizationLists_ProtocolVersionId" ON "RandomizationLists" ("ProtocolVersionId");

CREATE UNIQUE INDEX "IX_RandomizationLists_TrialId" ON "RandomizationLists" ("TrialId");

CREATE UNIQUE INDEX "IX_RandomizationSlots_ListId_StratumKey_Number" ON "RandomizationSlots" ("ListId", "StratumKey", "Number");

CREATE UNIQUE INDEX "IX_RandomizationSlots_ParticipantId" ON "RandomizationSlots" ("ParticipantId");
