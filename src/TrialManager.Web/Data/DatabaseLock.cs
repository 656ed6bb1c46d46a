using TrialManager.Web.Data.Audit;

namespace TrialManager.Web.Data;

/// <summary>How far a trial's database is locked.</summary>
public enum TrialLockLevel
{
    /// <summary>Data entry as usual.</summary>
    Open,

    /// <summary>No new or changed data; open queries may still be answered and closed, and investigators may sign.</summary>
    Soft,

    /// <summary>Nothing changes. Final unblinding needs it.</summary>
    Hard,
}

/// <summary>How every page, message and refusal words a lock level, so they all say the same.</summary>
public static class TrialLockLevelWording
{
    public static string Words(this TrialLockLevel level) => level switch
    {
        TrialLockLevel.Hard => "hard-locked",
        TrialLockLevel.Soft => "soft-locked",
        _ => "open",
    };

    public static string Meaning(this TrialLockLevel level) => level switch
    {
        TrialLockLevel.Hard => "nothing in this trial can change.",
        TrialLockLevel.Soft => "no new or changed data; open queries can still be answered and closed, and investigators can sign.",
        _ => "data entry as usual.",
    };
}

/// <summary>
/// One change of a trial's lock level. Raising the level is done by one data manager at once; lowering it (an unlock)
/// is asked for with a reason and applied only when a second, different person approves, or withdrawn.
/// </summary>
public sealed class DatabaseLockChange : IAuditScoped
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid TrialId { get; set; }

    public TrialLockLevel FromLevel { get; set; }

    public TrialLockLevel ToLevel { get; set; }

    public string Reason { get; set; } = "";

    public string RequestedByUserId { get; set; } = "";

    public string RequestedByName { get; set; } = "";

    public DateTimeOffset RequestedAt { get; set; }

    /// <summary>The second person of an unlock; null for a lock, which one person makes.</summary>
    public string? ApprovedByUserId { get; set; }

    public string? ApprovedByName { get; set; }

    /// <summary>When the level changed; null while an unlock waits for its second person, or after it was withdrawn.</summary>
    public DateTimeOffset? AppliedAt { get; set; }

    public DateTimeOffset? WithdrawnAt { get; set; }

    public bool IsUnlock => ToLevel < FromLevel;

    public bool IsPending => AppliedAt is null && WithdrawnAt is null;

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => null;

    Guid? IAuditScoped.AuditParticipantId => null;
}

public enum ExportFormat
{
    /// <summary>CDISC ODM 1.3.2 XML: metadata from the protocol and the clinical data.</summary>
    Odm,

    /// <summary>A zip of CSV files for statisticians, with a data dictionary and a manifest of hashes.</summary>
    Csv,
}

/// <summary>
/// That a file was exported: what, by whom, when, and the SHA-256 of its bytes (also in its name), so a file found later
/// can be matched to this record. The file itself is not kept.
/// </summary>
public sealed class ExportRecord : IAuditScoped
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid TrialId { get; set; }

    public ExportFormat Format { get; set; }

    /// <summary>Whether the file carries each participant's arm (only after final unblinding).</summary>
    public bool Unblinded { get; set; }

    /// <summary>The options chosen, e.g. "audit,signatures" for ODM; empty when none.</summary>
    public string Options { get; set; } = "";

    public string FileName { get; set; } = "";

    /// <summary>SHA-256 of the file's bytes, lower-case hex.</summary>
    public string ContentHash { get; set; } = "";

    public long Bytes { get; set; }

    public int Participants { get; set; }

    public string ExportedByUserId { get; set; } = "";

    public string ExportedByName { get; set; } = "";

    public DateTimeOffset ExportedAt { get; set; }

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => null;

    Guid? IAuditScoped.AuditParticipantId => null;
}
