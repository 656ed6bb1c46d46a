using TrialManager.Domain.Protocols;
using TrialManager.Domain.Safety;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Exports;

/// <summary>
/// Everything an export of one trial writes, read once by <see cref="ExportReader"/> after the access check. The
/// writers (ODM, CSV) are pure functions of a snapshot. Values are the stored text exactly (the form definition of the
/// participant's protocol version gives their type), so an export can be re-read into the same values.
/// </summary>
/// <param name="Arms">Participant id to arm; null for a blinded export (the default). Only an unblinded export after final unblinding carries it.</param>
/// <param name="Audit">The participants' audit entries, oldest first; empty unless asked for.</param>
public sealed record ExportSnapshot(
    ExportTrial Trial,
    IReadOnlyList<ExportProtocolVersion> ProtocolVersions,
    IReadOnlyList<ExportSite> Sites,
    IReadOnlyList<ExportParticipant> Participants,
    IReadOnlyList<ExportVisit> Visits,
    IReadOnlyList<ExportForm> Forms,
    IReadOnlyList<ExportAdverseEvent> AdverseEvents,
    IReadOnlyList<ExportDiaryDay> Diary,
    IReadOnlyList<ExportKitUse> Kits,
    IReadOnlyList<ExportSignature> Signatures,
    IReadOnlyList<ExportAuditRecord> Audit,
    IReadOnlyDictionary<Guid, ExportArm>? Arms)
{
    public bool Unblinded => Arms is not null;

    /// <summary>The protocol version with this sequence (1 = original).</summary>
    public ExportProtocolVersion Version(int sequence) => ProtocolVersions.Single(v => v.Sequence == sequence);

    /// <summary>The newest protocol version: its arms, forms and visits describe the trial as it stands.</summary>
    public ExportProtocolVersion Current => ProtocolVersions[^1];
}

/// <param name="ExportedAt">When the snapshot was read (UTC); written into every file.</param>
public sealed record ExportTrial(Guid Id, string Code, string Title, string Sponsor, string RegistryId, string Phase, DateTimeOffset ExportedAt, string ExportedByName, TrialLockLevel Lock);

/// <param name="Sequence">1 for the original protocol, 2 for the first amendment, ...</param>
/// <param name="ImportedAt">When this version was imported: from then on it is in force.</param>
public sealed record ExportProtocolVersion(Guid Id, int Sequence, string Version, string ContentHash, DateTimeOffset ImportedAt, Protocol Protocol);

public sealed record ExportSite(Guid Id, string Code, string Name, string Country);

/// <param name="ProtocolSequence">The protocol version the participant was registered under.</param>
/// <param name="Stratum">Canonical "factor=level" pairs joined by "|"; empty before screening fixes them.</param>
public sealed record ExportParticipant(
    Guid Id,
    string Number,
    string SiteCode,
    int ProtocolSequence,
    ParticipantStatus Status,
    int YearOfBirth,
    string Sex,
    DateOnly? ConsentedOn,
    string Stratum,
    string? RandomizationNumber,
    DateTimeOffset? RandomizedAt,
    DateOnly? RandomizedOn,
    DateOnly? DrugDiscontinuedOn,
    DateOnly? WithdrawnOn,
    string? WithdrawalReason);

/// <summary>A visit that happened (<paramref name="DoneOn"/>) or was missed.</summary>
/// <param name="StudyDay">Days from randomization in the site's calendar; null when missed or not randomized.</param>
/// <param name="InWindow">Whether it fell in the protocol's window; null when there is no study day.</param>
public sealed record ExportVisit(Guid ParticipantId, string Participant, string SiteCode, string VisitCode, DateOnly? DoneOn, bool Missed, int? StudyDay, bool? InWindow);

/// <param name="ProtocolSequence">The protocol version the form was collected under; its definition types the values.</param>
/// <param name="Values">Field code to the stored text (a multiple choice is its codes joined by commas). Fields left empty are absent.</param>
/// <param name="Scores">Score code to its total, as computed on the server at the last save.</param>
public sealed record ExportForm(
    Guid Id,
    Guid ParticipantId,
    string Participant,
    string SiteCode,
    int ProtocolSequence,
    string VisitCode,
    string FormCode,
    FormStatus Status,
    DateTimeOffset UpdatedAt,
    string UpdatedByName,
    DateTimeOffset? CompletedAt,
    IReadOnlyDictionary<string, string> Values,
    IReadOnlyDictionary<string, int> Scores);

/// <summary>An adverse event as its current (latest) report version states it.</summary>
/// <param name="SeriousnessCriteria">Criterion codes as stored (joined by "|"); empty when not serious.</param>
public sealed record ExportAdverseEvent(
    Guid Id,
    Guid ParticipantId,
    string Participant,
    string SiteCode,
    string Number,
    int Version,
    string ReportedTerm,
    string? CodedTerm,
    string? Code,
    DateOnly Onset,
    DateOnly? End,
    int Grade,
    bool Serious,
    string SeriousnessCriteria,
    Causality Causality,
    ActionTaken ActionTaken,
    EventOutcome Outcome,
    string? SpecialInterestCode,
    DateTimeOffset SiteAwareAt,
    DateTimeOffset ReceivedAt);

/// <summary>One diary day: whether the participant took a dose.</summary>
public sealed record ExportDiaryDay(Guid ParticipantId, string Participant, string SiteCode, int StudyDay, bool TookDose);

/// <summary>A kit handed to a participant and, when it came back, its pill count and the adherence it shows.</summary>
/// <param name="DispensedOn">The dispensing day in the site's calendar.</param>
/// <param name="AdherencePercent">Doses taken over doses scheduled, from the pill count, rounded to one decimal; null before return or when nothing was scheduled.</param>
public sealed record ExportKitUse(
    Guid ParticipantId,
    string Participant,
    string SiteCode,
    string KitCode,
    string VisitCode,
    DispensingKind Kind,
    DateOnly DispensedOn,
    int UnitsPerKit,
    DateOnly? ReturnedOn,
    int? UnusedUnitsReturned,
    int? DosesScheduled,
    int? DosesTaken,
    decimal? AdherencePercent);

/// <param name="AdverseEventNumber">The event's number when an adverse event report is signed.</param>
/// <param name="Intact">Whether the signed content is unchanged since (false: the signature shows as broken).</param>
public sealed record ExportSignature(
    Guid Id,
    Guid ParticipantId,
    SignatureSubject Subject,
    string VisitCode,
    string? AdverseEventNumber,
    string Meaning,
    string SignedByUserId,
    string SignedByName,
    DateTimeOffset SignedAt,
    string ContentHash,
    bool Intact);

/// <summary>One audit entry about a participant's records (never an arm: the trail holds none).</summary>
public sealed record ExportAuditRecord(long Sequence, Guid ParticipantId, DateTimeOffset At, string UserId, string UserName, string Action, string EntityType, string EntityId, string Reason, string IpAddress);

public sealed record ExportArm(string Code, string Label);
