-- 0012: drug supply and accountability. Depots (from the protocol) and the depot supplying each site; packaging
-- lots; shipments with their shuffled packing lists; the per-site accountability log (append-only); destructions
-- recorded by one person and witnessed by another. Kits gain their lot, depot, shipment and current unit count.

CREATE TABLE "Depots" (
    "Id" uuid NOT NULL,
    "Code" character varying(40) NOT NULL,
    "Name" character varying(200) NOT NULL,
    "Country" character varying(2) NOT NULL,
    "TimeZone" character varying(64) NOT NULL,
    CONSTRAINT "PK_Depots" PRIMARY KEY ("Id")
);

CREATE TABLE "KitLots" (
    "Id" uuid NOT NULL,
    "TrialId" uuid NOT NULL,
    "DepotId" uuid,
    "Number" character varying(60) NOT NULL,
    "ExpiresOn" date NOT NULL,
    "KitCount" integer NOT NULL,
    "CreatedAt" timestamp with time zone NOT NULL,
    "CreatedByName" character varying(200) NOT NULL,
    CONSTRAINT "PK_KitLots" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_KitLots_Depots_DepotId" FOREIGN KEY ("DepotId") REFERENCES "Depots" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_KitLots_Trials_TrialId" FOREIGN KEY ("TrialId") REFERENCES "Trials" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "Shipments" (
    "Id" uuid NOT NULL,
    "TrialId" uuid NOT NULL,
    "DepotId" uuid,
    "SiteId" uuid NOT NULL,
    "Number" integer NOT NULL,
    "Status" character varying(16) NOT NULL,
    "Reason" character varying(16) NOT NULL,
    "KitCount" integer NOT NULL,
    "RequestedAt" timestamp with time zone NOT NULL,
    "RequestedByName" character varying(200) NOT NULL,
    "ExpectedOn" date,
    "ShippedAt" timestamp with time zone,
    "ShippedByName" character varying(200),
    "Carrier" character varying(100),
    "TrackingNumber" character varying(100),
    "ReceivedAt" timestamp with time zone,
    "ReceivedByName" character varying(200),
    "PackagingIntact" boolean,
    "TemperatureExcursion" boolean,
    "MinimumTemperatureC" numeric(5,1),
    "MaximumTemperatureC" numeric(5,1),
    "ReceiptNote" character varying(2000) NOT NULL,
    "DecidedAt" timestamp with time zone,
    "DecidedByName" character varying(200),
    "DecisionNote" character varying(2000) NOT NULL,
    CONSTRAINT "PK_Shipments" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_Shipments_Depots_DepotId" FOREIGN KEY ("DepotId") REFERENCES "Depots" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_Shipments_Sites_SiteId" FOREIGN KEY ("SiteId") REFERENCES "Sites" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_Shipments_Trials_TrialId" FOREIGN KEY ("TrialId") REFERENCES "Trials" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "KitDestructions" (
    "Id" uuid NOT NULL,
    "TrialId" uuid NOT NULL,
    "SiteId" uuid NOT NULL,
    "Status" character varying(16) NOT NULL,
    "Method" character varying(200) NOT NULL,
    "Note" character varying(2000) NOT NULL,
    "RecordedAt" timestamp with time zone NOT NULL,
    "RecordedByUserId" character varying(450) NOT NULL,
    "RecordedByName" character varying(200) NOT NULL,
    "WitnessedAt" timestamp with time zone,
    "WitnessUserId" character varying(450),
    "WitnessName" character varying(200),
    CONSTRAINT "PK_KitDestructions" PRIMARY KEY ("Id"),
    CONSTRAINT "FK_KitDestructions_Sites_SiteId" FOREIGN KEY ("SiteId") REFERENCES "Sites" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_KitDestructions_Trials_TrialId" FOREIGN KEY ("TrialId") REFERENCES "Trials" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "KitDestructionKits" (
    "DestructionId" uuid NOT NULL,
    "KitId" uuid NOT NULL,
    "KitCode" character varying(16) NOT NULL,
    "Units" integer NOT NULL,
    "TrialId" uuid NOT NULL,
    "SiteId" uuid NOT NULL,
    CONSTRAINT "PK_KitDestructionKits" PRIMARY KEY ("DestructionId", "KitId"),
    CONSTRAINT "FK_KitDestructionKits_KitDestructions_DestructionId" FOREIGN KEY ("DestructionId") REFERENCES "KitDestructions" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_KitDestructionKits_Kits_KitId" FOREIGN KEY ("KitId") REFERENCES "Kits" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "ShipmentKits" (
    "ShipmentId" uuid NOT NULL,
    "KitId" uuid NOT NULL,
    "Position" integer NOT NULL,
    "KitCode" character varying(16) NOT NULL,
    "TrialId" uuid NOT NULL,
    "SiteId" uuid NOT NULL,
    CONSTRAINT "PK_ShipmentKits" PRIMARY KEY ("ShipmentId", "KitId"),
    CONSTRAINT "FK_ShipmentKits_Kits_KitId" FOREIGN KEY ("KitId") REFERENCES "Kits" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_ShipmentKits_Shipments_ShipmentId" FOREIGN KEY ("ShipmentId") REFERENCES "Shipments" ("Id") ON DELETE RESTRICT
);

CREATE TABLE "KitLedger" (
    "Sequence" bigint GENERATED ALWAYS AS IDENTITY,
    "TrialId" uuid NOT NULL,
    "SiteId" uuid NOT NULL,
    "KitId" uuid NOT NULL,
    "KitCode" character varying(16) NOT NULL,
    "Kind" character varying(16) NOT NULL,
    "Units" integer,
    "ParticipantId" uuid,
    "ParticipantNumber" character varying(40) NOT NULL,
    "ShipmentId" uuid,
    "DestructionId" uuid,
    "Reason" character varying(2000) NOT NULL,
    "At" timestamp with time zone NOT NULL,
    "ByUserId" character varying(450) NOT NULL,
    "ByName" character varying(200) NOT NULL,
    "Witness1UserId" character varying(450),
    "Witness2UserId" character varying(450),
    CONSTRAINT "PK_KitLedger" PRIMARY KEY ("Sequence"),
    CONSTRAINT "FK_KitLedger_KitDestructions_DestructionId" FOREIGN KEY ("DestructionId") REFERENCES "KitDestructions" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_KitLedger_Kits_KitId" FOREIGN KEY ("KitId") REFERENCES "Kits" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_KitLedger_Participants_ParticipantId" FOREIGN KEY ("ParticipantId") REFERENCES "Participants" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_KitLedger_Shipments_ShipmentId" FOREIGN KEY ("ShipmentId") REFERENCES "Shipments" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_KitLedger_Sites_SiteId" FOREIGN KEY ("SiteId") REFERENCES "Sites" ("Id") ON DELETE RESTRICT,
    CONSTRAINT "FK_KitLedger_Trials_TrialId" FOREIGN KEY ("TrialId") REFERENCES "Trials" ("Id") ON DELETE RESTRICT
);

CREATE UNIQUE INDEX "IX_Depots_Code" ON "Depots" ("Code");
CREATE INDEX "IX_KitDestructionKits_KitId" ON "KitDestructionKits" ("KitId");
CREATE INDEX "IX_KitDestructions_SiteId" ON "KitDestructions" ("SiteId");
CREATE INDEX "IX_KitDestructions_TrialId_SiteId_Status" ON "KitDestructions" ("TrialId", "SiteId", "Status");
CREATE INDEX "IX_KitLedger_DestructionId" ON "KitLedger" ("DestructionId");
CREATE INDEX "IX_KitLedger_KitId_Sequence" ON "KitLedger" ("KitId", "Sequence");
CREATE INDEX "IX_KitLedger_ParticipantId" ON "KitLedger" ("ParticipantId");
CREATE INDEX "IX_KitLedger_ShipmentId" ON "KitLedger" ("ShipmentId");
CREATE INDEX "IX_KitLedger_SiteId" ON "KitLedger" ("SiteId");
CREATE INDEX "IX_KitLedger_TrialId_SiteId_Sequence" ON "KitLedger" ("TrialId", "SiteId", "Sequence");
CREATE INDEX "IX_KitLots_DepotId" ON "KitLots" ("DepotId");
CREATE UNIQUE INDEX "IX_KitLots_TrialId_Number" ON "KitLots" ("TrialId", "Number");
CREATE INDEX "IX_ShipmentKits_KitId" ON "ShipmentKits" ("KitId");
CREATE UNIQUE INDEX "IX_ShipmentKits_ShipmentId_Position" ON "ShipmentKits" ("ShipmentId", "Position");
CREATE INDEX "IX_Shipments_DepotId" ON "Shipments" ("DepotId");
CREATE INDEX "IX_Shipments_SiteId" ON "Shipments" ("SiteId");
CREATE UNIQUE INDEX "IX_Shipments_TrialId_SiteId_Number" ON "Shipments" ("TrialId", "SiteId", "Number");
CREATE INDEX "IX_Shipments_TrialId_Status" ON "Shipments" ("TrialId", "Status");

ALTER TABLE "TrialSites" ADD COLUMN "DepotId" uuid;
ALTER TABLE "TrialSites" ADD CONSTRAINT "FK_TrialSites_Depots_DepotId" FOREIGN KEY ("DepotId") REFERENCES "Depots" ("Id") ON DELETE RESTRICT;
CREATE INDEX "IX_TrialSites_DepotId" ON "TrialSites" ("DepotId");

ALTER TABLE "Kits" ADD COLUMN "LotId" uuid;
ALTER TABLE "Kits" ADD COLUMN "DepotId" uuid;
ALTER TABLE "Kits" ADD COLUMN "ShipmentId" uuid;
ALTER TABLE "Kits" ADD COLUMN "Units" integer NOT NULL DEFAULT 0;
ALTER TABLE "Kits" ALTER COLUMN "Units" DROP DEFAULT;
ALTER TABLE "Kits" ADD CONSTRAINT "FK_Kits_Depots_DepotId" FOREIGN KEY ("DepotId") REFERENCES "Depots" ("Id") ON DELETE RESTRICT;
ALTER TABLE "Kits" ADD CONSTRAINT "FK_Kits_KitLots_LotId" FOREIGN KEY ("LotId") REFERENCES "KitLots" ("Id") ON DELETE RESTRICT;
ALTER TABLE "Kits" ADD CONSTRAINT "FK_Kits_Shipments_ShipmentId" FOREIGN KEY ("ShipmentId") REFERENCES "Shipments" ("Id") ON DELETE RESTRICT;
CREATE INDEX "IX_Kits_DepotId" ON "Kits" ("DepotId");
CREATE INDEX "IX_Kits_LotId" ON "Kits" ("LotId");
CREATE INDEX "IX_Kits_ShipmentId" ON "Kits" ("ShipmentId");
CREATE INDEX "IX_Kits_TrialId_DepotId_State" ON "Kits" ("TrialId", "DepotId", "State");

-- The accountability log is what an inspector reads: a line, once written, is never changed or removed.
CREATE FUNCTION kit_ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the kit accountability log is append-only; record a correcting event instead'
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER kit_ledger_is_append_only
    BEFORE UPDATE OR DELETE ON "KitLedger"
    FOR EACH ROW EXECUTE FUNCTION kit_ledger_is_append_only();
