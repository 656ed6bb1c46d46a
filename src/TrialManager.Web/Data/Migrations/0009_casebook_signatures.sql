-- 0009: a signature names what it signs (a visit's forms, an adverse event report, or the whole casebook).

ALTER TABLE "Signatures" ADD COLUMN "Subject" character varying(16) NOT NULL DEFAULT 'Visit';
UPDATE "Signatures" SET "Subject" = 'AdverseEvent' WHERE "AdverseEventId" IS NOT NULL;
ALTER TABLE "Signatures" ALTER COLUMN "Subject" DROP DEFAULT;
