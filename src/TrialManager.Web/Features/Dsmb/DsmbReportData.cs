using TrialManager.Domain.Protocols;

namespace TrialManager.Web.Features.Dsmb;

/// <summary>
/// One participant as the DSMB reports count them. It holds no arm: the closed report gets arms apart, from
/// <see cref="Unblinding.Allocations"/>, so the open report cannot be handed one by mistake.
/// </summary>
/// <param name="StudyDay">The site's today as a study day (null when not randomized), for diary adherence as the participant page computes it.</param>
/// <param name="Regimen">The dosing regimen of the participant's own protocol version.</param>
/// <param name="Diary">Study day to whether a dose was taken, from the participant's diary.</param>
public sealed record DsmbParticipant(
    Guid Id,
    string SiteCode,
    DateOnly? ConsentedOn,
    DateTimeOffset? RandomizedAt,
    int? StudyDay,
    DosingRegimen Regimen,
    IReadOnlyDictionary<int, bool> Diary,
    int KitsDispensed,
    DateOnly? DrugDiscontinuedOn,
    DateOnly? WithdrawnOn,
    bool ConsentWithdrawn,
    bool LostToFollowUp);

/// <summary>An adverse event as its current version reports it.</summary>
public sealed record DsmbEvent(Guid ParticipantId, string Term, int Grade, bool Serious);

/// <summary>A derived score stored on a completed form entry.</summary>
public sealed record DsmbScore(Guid ParticipantId, string VisitCode, string FormCode, string ScoreCode, int Total);

/// <summary>
/// Everything the DSMB reports are computed from, read in one place. The protocol comes in as its visits and forms
/// only (not the whole protocol, which lists the arms).
/// </summary>
public sealed record DsmbData(
    string TrialCode,
    string TrialTitle,
    string ProtocolVersion,
    DateTimeOffset AsOf,
    bool ListGenerated,
    IReadOnlyList<string> SiteCodes,
    IReadOnlyList<Visit> Visits,
    IReadOnlyList<FormDefinition> Forms,
    IReadOnlyList<DsmbParticipant> Participants,
    IReadOnlyList<DsmbEvent> Events,
    IReadOnlyList<DsmbScore> Scores);
