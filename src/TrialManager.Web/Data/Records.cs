using TrialManager.Web.Data.Audit;

namespace TrialManager.Web.Data;

/// <summary>One screening: the answers to the protocol's eligibility questions and the verdict, as evaluated then.</summary>
public sealed class EligibilityAssessment : IAuditScoped
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid TrialId { get; set; }

    public Guid SiteId { get; set; }

    public Guid ParticipantId { get; set; }

    public Guid ProtocolVersionId { get; set; }

    /// <summary>JSON object: criterion code to the answer given.</summary>
    public string AnswersJson { get; set; } = "{}";

    public bool Eligible { get; set; }

    /// <summary>JSON array of {criterion, reason} for the criteria not met.</summary>
    public string FailuresJson { get; set; } = "[]";

    public DateTimeOffset AssessedAt { get; set; }

    public string AssessedByName { get; set; } = "";

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => SiteId;

    Guid? IAuditScoped.AuditParticipantId => ParticipantId;
}

public enum FormStatus
{
    Draft,
    Complete,
}

/// <summary>
/// One case report form of one visit for one participant, collected under the protocol version it names. Its values
/// are rows of <see cref="FormValue"/>, so the audit trail shows each field's old and new value.
/// </summary>
public sealed class FormEntry : IAuditScoped
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid TrialId { get; set; }

    public Guid SiteId { get; set; }

    public Guid ParticipantId { get; set; }

    public Guid ProtocolVersionId { get; set; }

    public string VisitCode { get; set; } = "";

    public string FormCode { get; set; } = "";

    public FormStatus Status { get; set; }

    /// <summary>JSON object: score code to {total, band} as computed on the server at the last save.</summary>
    public string ScoresJson { get; set; } = "{}";

    public DateTimeOffset UpdatedAt { get; set; }

    public string UpdatedByName { get; set; } = "";

    public DateTimeOffset? CompletedAt { get; set; }

    public List<FormValue> Values { get; } = [];

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => SiteId;

    Guid? IAuditScoped.AuditParticipantId => ParticipantId;
}

/// <summary>One field's value as entered (the raw text; the form definition gives its type).</summary>
public sealed class FormValue : IAuditScoped
{
    public Guid FormEntryId { get; set; }

    public string FieldCode { get; set; } = "";

    public string Value { get; set; } = "";

    public Guid SiteId { get; set; }

    public Guid ParticipantId { get; set; }

    Guid? IAuditScoped.AuditTrialId => null;

    Guid? IAuditScoped.AuditSiteId => SiteId;

    Guid? IAuditScoped.AuditParticipantId => ParticipantId;
}

/// <summary>When a scheduled visit happened, or that it was missed.</summary>
public sealed class VisitRecord : IAuditScoped
{
    public Guid ParticipantId { get; set; }

    public string VisitCode { get; set; } = "";

    public Guid SiteId { get; set; }

    public DateOnly? DoneOn { get; set; }

    public bool Missed { get; set; }

    public DateTimeOffset RecordedAt { get; set; }

    public string RecordedByName { get; set; } = "";

    Guid? IAuditScoped.AuditTrialId => null;

    Guid? IAuditScoped.AuditSiteId => SiteId;

    Guid? IAuditScoped.AuditParticipantId => ParticipantId;
}

public enum DeviationKind
{
    /// <summary>Raised automatically: a visit done outside its window.</summary>
    VisitOutOfWindow,

    /// <summary>Raised by site staff or the data manager.</summary>
    Reported,
}

/// <summary>A departure from the protocol.</summary>
public sealed class ProtocolDeviation : IAuditScoped
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid TrialId { get; set; }

    public Guid SiteId { get; set; }

    public Guid ParticipantId { get; set; }

    public string VisitCode { get; set; } = "";

    public DeviationKind Kind { get; set; }

    public string Description { get; set; } = "";

    public DateTimeOffset RaisedAt { get; set; }

    public string RaisedByName { get; set; } = "";

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => SiteId;

    Guid? IAuditScoped.AuditParticipantId => ParticipantId;
}

public enum QueryStatus
{
    Open,
    Answered,
    Closed,
}

/// <summary>A data manager's question about one field of one form; the site answers; the data manager closes it.</summary>
public sealed class DataQuery : IAuditScoped
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid FormEntryId { get; set; }

    public Guid SiteId { get; set; }

    public Guid ParticipantId { get; set; }

    public string FieldCode { get; set; } = "";

    public QueryStatus Status { get; set; }

    public string Question { get; set; } = "";

    public DateTimeOffset RaisedAt { get; set; }

    public string RaisedByName { get; set; } = "";

    public string? Answer { get; set; }

    public DateTimeOffset? AnsweredAt { get; set; }

    public string? AnsweredByName { get; set; }

    public DateTimeOffset? ClosedAt { get; set; }

    Guid? IAuditScoped.AuditTrialId => null;

    Guid? IAuditScoped.AuditSiteId => SiteId;

    Guid? IAuditScoped.AuditParticipantId => ParticipantId;
}

/// <summary>Whether the participant took a dose on a study day, as reported from their diary.</summary>
public sealed class DiaryEntry : IAuditScoped
{
    public Guid ParticipantId { get; set; }

    public int StudyDay { get; set; }

    public Guid SiteId { get; set; }

    public bool TookDose { get; set; }

    public DateTimeOffset RecordedAt { get; set; }

    public string RecordedByName { get; set; } = "";

    Guid? IAuditScoped.AuditTrialId => null;

    Guid? IAuditScoped.AuditSiteId => SiteId;

    Guid? IAuditScoped.AuditParticipantId => ParticipantId;
}

/// <summary>
/// An electronic signature (21 CFR Part 11): who (user id and printed name), when (UTC), what it means, and a SHA-256
/// of the content signed. If the content changes later the hash no longer matches and the signature shows as broken.
/// </summary>
/// <summary>What a signature signs: a visit's forms, an adverse event report, or the participant's whole casebook.</summary>
public enum SignatureSubject
{
    Visit,
    AdverseEvent,
    Casebook,
}

public sealed class Signature : IAuditScoped
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid TrialId { get; set; }

    public Guid SiteId { get; set; }

    public Guid ParticipantId { get; set; }

    public SignatureSubject Subject { get; set; }

    /// <summary>The visit whose forms are signed; empty for an adverse event report's or a casebook's signature.</summary>
    public string VisitCode { get; set; } = "";

    /// <summary>The adverse event whose report (at <see cref="AdverseEventVersion"/>) is signed, if that is what is signed.</summary>
    public Guid? AdverseEventId { get; set; }

    public int? AdverseEventVersion { get; set; }

    public string Meaning { get; set; } = "";

    public string ContentHash { get; set; } = "";

    public string SignedByUserId { get; set; } = "";

    public string SignedByName { get; set; } = "";

    public DateTimeOffset SignedAt { get; set; }

    Guid? IAuditScoped.AuditTrialId => TrialId;

    Guid? IAuditScoped.AuditSiteId => SiteId;

    Guid? IAuditScoped.AuditParticipantId => ParticipantId;
}
