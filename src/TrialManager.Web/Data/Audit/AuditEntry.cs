namespace TrialManager.Web.Data.Audit;

/// <summary>
/// One line of the append-only audit trail: who, when (the database server's UTC clock), what (entity, record, old and
/// new values as JSON), why, and from where. The database fills ChainSeq, OccurredAt, PreviousHash and Hash in a
/// trigger that links each entry to the one before it (SHA-256), and refuses UPDATE, DELETE and TRUNCATE.
/// </summary>
public sealed class AuditEntry
{
    public long Id { get; set; }

    /// <summary>Position in the hash chain (1, 2, ...), assigned by the trigger under a lock.</summary>
    public long ChainSeq { get; set; }

    public DateTimeOffset OccurredAt { get; set; }

    public string UserId { get; set; } = "";

    /// <summary>Printed name at the time of the action.</summary>
    public string UserName { get; set; } = "";

    public string Roles { get; set; } = "";

    public string IpAddress { get; set; } = "";

    /// <summary>Create, Update, Delete, or a workflow action (SignIn, Randomize, Dispense, ...).</summary>
    public string Action { get; set; } = "";

    public string EntityType { get; set; } = "";

    public string EntityId { get; set; } = "";

    public Guid? TrialId { get; set; }

    public Guid? SiteId { get; set; }

    public Guid? ParticipantId { get; set; }

    /// <summary>JSON array of {"field","old","new"}; sealed values appear as "[sealed]", secrets as "[secret]".</summary>
    public string Changes { get; set; } = "";

    public string Reason { get; set; } = "";

    public string PreviousHash { get; set; } = "";

    public string Hash { get; set; } = "";
}

/// <summary>Entities that belong to a trial, site or participant say so, so the audit trail can be filtered by them.</summary>
public interface IAuditScoped
{
    Guid? AuditTrialId { get; }

    Guid? AuditSiteId { get; }

    Guid? AuditParticipantId { get; }
}

/// <summary>Marks a property whose value must never appear in the audit trail (sealed arms, keys): recorded as "[sealed]".</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SealedAttribute : Attribute;
