using TrialManager.Domain.Safety;
using TrialManager.Web.Data.Audit;

namespace TrialManager.Web.Data;

/// <summary>
/// An adverse event of a participant. Its content lives in versions (the initial report, then follow-ups); none is
/// ever edited, so what the sponsor knew and when stays provable. Events carry no arm, and nothing here links to one.
/// </summary>
public sealed class AdverseEvent : IAuditScoped
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid TrialId { get; set; }

    public Guid SiteId { get; set; }

    public Guid ParticipantId { get; set; }

    /// <summary>e.g. "LON-007-AE02": the participant's number and the event's sequence.</summary>
    public string Number { get; set; } = "";

    public int CurrentVersion { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public List<AdverseEventVersion> Versions { get; set; } = [];

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => SiteId;

    Guid? IAuditScoped.AuditParticipantId => ParticipantId;
}

/// <summary>One report of an event as the site submitted it; ReceivedAt is when the sponsor had it.</summary>
public sealed class AdverseEventVersion : IAuditScoped
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid AdverseEventId { get; set; }

    public Guid TrialId { get; set; }

    public Guid SiteId { get; set; }

    public Guid ParticipantId { get; set; }

    public int Version { get; set; }

    public string ReportedTerm { get; set; } = "";

    public string? CodedTerm { get; set; }

    public string? Code { get; set; }

    public DateOnly Onset { get; set; }

    public DateOnly? End { get; set; }

    public int Grade { get; set; }

    public bool Serious { get; set; }

    /// <summary>Codes from the protocol's seriousness criteria, joined by "|".</summary>
    public string SeriousnessCriteria { get; set; } = "";

    public Causality Causality { get; set; }

    public ActionTaken ActionTaken { get; set; }

    public EventOutcome Outcome { get; set; }

    public string? SpecialInterestCode { get; set; }

    public string? Narrative { get; set; }

    public DateTimeOffset SiteAwareAt { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }

    public string ReportedByUserId { get; set; } = "";

    public string ReportedByName { get; set; } = "";

    /// <summary>For a follow-up: what is new.</summary>
    public string? FollowUpNote { get; set; }

    public IReadOnlyList<string> CriteriaCodes => SeriousnessCriteria.Length == 0 ? [] : SeriousnessCriteria.Split('|');

    public AdverseEventReport ToReport() => new(
        ReportedTerm, CodedTerm, Code, Onset, End, Grade, Serious, CriteriaCodes, Causality, ActionTaken, Outcome, SpecialInterestCode, SiteAwareAt);

    public ReceivedReport ToReceived() => new(Version, ToReport(), ReceivedAt);

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => SiteId;

    Guid? IAuditScoped.AuditParticipantId => ParticipantId;
}

/// <summary>The sponsor's assessment by the safety officer. Appended, never edited; the latest one counts.</summary>
public sealed class SafetyAssessment : IAuditScoped
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid AdverseEventId { get; set; }

    public Guid TrialId { get; set; }

    public Guid SiteId { get; set; }

    public Guid ParticipantId { get; set; }

    public int AssessedVersion { get; set; }

    public Causality SponsorCausality { get; set; }

    public bool Expected { get; set; }

    /// <summary>The conclusion at the time (serious, related by either party, unexpected).</summary>
    public bool IsSusar { get; set; }

    public string Rationale { get; set; } = "";

    public DateTimeOffset AssessedAt { get; set; }

    public string AssessedByUserId { get; set; } = "";

    public string AssessedByName { get; set; } = "";

    public Domain.Safety.SponsorAssessment ToDomain() => new(AssessedVersion, SponsorCausality, Expected, AssessedAt);

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => SiteId;

    Guid? IAuditScoped.AuditParticipantId => ParticipantId;
}

/// <summary>An expedited report the safety officer sent to the regulators (the system records it; it does not send it).</summary>
public sealed class ExpeditedReport : IAuditScoped
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid AdverseEventId { get; set; }

    public Guid TrialId { get; set; }

    public Guid SiteId { get; set; }

    public Guid ParticipantId { get; set; }

    public int CoversVersion { get; set; }

    public DateTimeOffset SubmittedAt { get; set; }

    /// <summary>The regulator's or gateway's reference for the submission.</summary>
    public string Reference { get; set; } = "";

    public string RecordedByName { get; set; } = "";

    public DateTimeOffset RecordedAt { get; set; }

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => SiteId;

    Guid? IAuditScoped.AuditParticipantId => ParticipantId;
}

public enum AlertLevel
{
    DueSoon,
    Overdue,
}

/// <summary>That an alert about a clock was sent: one row per clock and level, so nobody is told twice.</summary>
public sealed class SafetyAlert : IAuditScoped
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid AdverseEventId { get; set; }

    public Guid TrialId { get; set; }

    public Guid SiteId { get; set; }

    public Guid ParticipantId { get; set; }

    public string ClockKey { get; set; } = "";

    public AlertLevel Level { get; set; }

    public DateTimeOffset RaisedAt { get; set; }

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => SiteId;

    Guid? IAuditScoped.AuditParticipantId => ParticipantId;
}

/// <summary>An e-mail waiting to be sent, or sent. The outbox is written in the transaction of what it tells of, and a worker sends it with retries.</summary>
public sealed class OutboxEmail
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public string ToAddress { get; set; } = "";

    public string Subject { get; set; } = "";

    public string Body { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public int Attempts { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    public DateTimeOffset? SentAt { get; set; }

    /// <summary>Set when retries are exhausted: the message stays for an administrator to see.</summary>
    public DateTimeOffset? GaveUpAt { get; set; }

    public string? LastError { get; set; }
}
