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

    public DateOnly? ConsentedOn { get; set; }

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
