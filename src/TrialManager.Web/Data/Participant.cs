using TrialManager.Web.Data.Audit;

namespace TrialManager.Web.Data;

public enum ParticipantStatus
{
    Registered,
    ScreenFailed,
    Eligible,
    Randomized,
    Withdrawn,
}

/// <summary>
/// A person in a trial, known only by a pseudonymous number (site code + sequence). No names or contact details.
/// Screening, consent and eligibility are captured before randomization; the stratum levels are fixed at screening.
/// </summary>
public sealed class Participant : IAuditScoped
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid TrialId { get; set; }

    public Guid SiteId { get; set; }

    /// <summary>e.g. "LON-007".</summary>
    public string Number { get; set; } = "";

    public int YearOfBirth { get; set; }

    /// <summary>A code from the protocol's participant attribute 'sex' (e.g. "F", "M").</summary>
    public string Sex { get; set; } = "";

    /// <summary>The protocol version the participant was registered under.</summary>
    public Guid ProtocolVersionId { get; set; }

    public ParticipantStatus Status { get; set; }

    /// <summary>Up to three letters; optional (many sites use none).</summary>
    public string? Initials { get; set; }

    public DateOnly? ConsentedOn { get; set; }

    /// <summary>The version of the consent form signed (e.g. "2.0 of 2026-10-01").</summary>
    public string? ConsentFormVersion { get; set; }

    public string? ConsentObtainedByName { get; set; }

    public DateOnly? ConsentWithdrawnOn { get; set; }

    /// <summary>Study drug stopped (the participant may stay in follow-up).</summary>
    public DateOnly? DrugDiscontinuedOn { get; set; }

    public string? DrugDiscontinuationReason { get; set; }

    /// <summary>Left the trial (consent withdrawn, lost to follow-up, or another reason).</summary>
    public DateOnly? WithdrawnOn { get; set; }

    public string? WithdrawalReason { get; set; }

    public DateTimeOffset? EligibilityConfirmedAt { get; set; }

    /// <summary>Stratification levels from screening, canonical "factor=level" pairs joined by "|"; fixed after randomization.</summary>
    public string StratumLevels { get; set; } = "";

    public string? RandomizationNumber { get; set; }

    public DateTimeOffset? RandomizedAt { get; set; }

    public string? RandomizedBy { get; set; }

    public string? RandomizedByName { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => SiteId;

    Guid? IAuditScoped.AuditParticipantId => Id;
}
