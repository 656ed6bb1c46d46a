-- 0006: the audit trail's second line of defence, by privileges. Migration 0003's triggers refuse UPDATE, DELETE and
-- TRUNCATE for everyone, but a superuser or the table's owner can disable a trigger. When the application connects as
-- a role of its own (one that owns nothing, distinct from the role that runs the migrations), that role should not
-- even hold the privileges: audit_trail_protect_from(role) takes them away and leaves it SELECT and INSERT only.
--
-- `migrate` calls it for the role named by the setting TrialManager:Database:AppRole, and this migration calls it for
-- a role named trialmanager_app when one exists. Hash-chain verification (AuditChainVerifier) still catches whatever
-- the owner or a superuser does behind both.

REVOKE UPDATE, DELETE, TRUNCATE ON "AuditTrail" FROM PUBLIC;

CREATE FUNCTION audit_trail_protect_from(app_role name) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    owner_role name;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = app_role) THEN
        RAISE EXCEPTION 'There is no database role named %.', app_role USING ERRCODE = 'undefined_object';
    END IF;

    SELECT pg_get_userbyid(c.relowner) INTO owner_role
    FROM pg_class c WHERE c.oid = '"AuditTrail"'::regclass;
    IF owner_role = app_role OR EXISTS (SELECT 1 FROM pg_roles WHERE rolname = app_role AND rolsuper) THEN
        RAISE EXCEPTION 'The role % owns the audit trail or is a superuser: privileges cannot restrain it. Run the app as a role that owns nothing.', app_role
            USING ERRCODE = 'invalid_grant_operation';
    END IF;

    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON "AuditTrail" FROM %I', app_role);
    EXECUTE format('GRANT SELECT, INSERT ON "AuditTrail" TO %I', app_role);
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'trialmanager_app' AND NOT rolsuper)
        AND pg_get_userbyid((SELECT relowner FROM pg_class WHERE oid = '"AuditTrail"'::regclass)) <> 'trialmanager_app' THEN
        PERFORM audit_trail_protect_from('trialmanager_app');
    END IF;
END
$$;
