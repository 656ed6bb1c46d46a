using TrialManager.Web.Data.Audit;

namespace TrialManager.Web.Data;

public enum UnblindingKind
{
    /// <summary>The safety officer's reveal through the vault.</summary>
    Vault,

    /// <summary>An investigator's emergency code-break for their own participant (ICH E6(R3)).</summary>
    EmergencyCodeBreak,
}

public enum UnblindingReason
{
    SusarAssessment,
    DsmbRequest,
    MedicalEmergency,
    RegulatoryRequest,
    Other,
}

/// <summary>
/// That a participant's allocation was revealed to someone: who, when, why and how. It never holds the arm; the
/// participant shows as "unblinded" wherever they appear, and nothing more.
/// </summary>
public sealed class Unblinding : IAuditScoped
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid TrialId { get; set; }

    public Guid SiteId { get; set; }

    public Guid ParticipantId { get; set; }

    public UnblindingKind Kind { get; set; }

    public UnblindingReason Reason { get; set; }

    public string Explanation { get; set; } = "";

    public string RevealedByUserId { get; set; } = "";

    public string RevealedByName { get; set; } = "";

    public DateTimeOffset RevealedAt { get; set; }

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => SiteId;

    Guid? IAuditScoped.AuditParticipantId => ParticipantId;
}

public enum ListAccessPurpose
{
    View,
    Export,

    /// <summary>At the end of the trial, after hard lock: approval releases the allocation to the data manager and the DSMB.</summary>
    FinalUnblinding,
}

/// <summary>
/// A request to see or export a trial's whole allocation list. It takes two distinct authorised people: one asks, a
/// second approves; the approval is good for a limited time. Normally the database is locked first; an unlocked one
/// needs a stated reason.
/// </summary>
public sealed class ListAccessRequest : IAuditScoped
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid TrialId { get; set; }

    public ListAccessPurpose Purpose { get; set; }

    public string Justification { get; set; } = "";

    public string RequestedByUserId { get; set; } = "";

    public string RequestedByName { get; set; } = "";

    public DateTimeOffset RequestedAt { get; set; }

    public string? ApprovedByUserId { get; set; }

    public string? ApprovedByName { get; set; }

    public DateTimeOffset? ApprovedAt { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => null;

    Guid? IAuditScoped.AuditParticipantId => null;
}
