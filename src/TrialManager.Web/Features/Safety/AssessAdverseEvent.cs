using TrialManager.Domain.Safety;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Safety;

public sealed class AssessmentInput
{
    public string? SponsorCausality { get; set; }

    /// <summary>"yes" or "no": whether the event is expected per the reference safety information.</summary>
    public string? Expected { get; set; }

    public string? Rationale { get; set; }
}

/// <summary>
/// The safety officer's assessment for the sponsor: causality recorded beside the investigator's (which stands as
/// reported), expectedness against the reference list, and a rationale. A SUSAR starts the expedited clock; the
/// clock counts from when the sponsor learned of the event, not from this assessment. Nothing here needs the arm:
/// a safety officer who needs it goes to the vault, which is audited on its own.
/// </summary>
public sealed class AssessAdverseEvent(TrialDbContext db, SafetyOverview overview, CurrentUser me, TimeProvider clock)
{
    public const string CausalityField = nameof(AssessmentInput.SponsorCausality);
    public const string ExpectedField = nameof(AssessmentInput.Expected);
    public const string RationaleField = nameof(AssessmentInput.Rationale);

    public async Task<OperationResult<bool>> ExecuteAsync(Guid eventId, AssessmentInput input, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.SafetyAssessment);
        var standing = await overview.EventAsync(eventId, cancellationToken);
        var result = new OperationResult();
        if (!EnumInput.TryRead<Causality>(input.SponsorCausality, out var causality))
        {
            result.Add(CausalityField, "Choose the sponsor's causality assessment.");
        }

        if (input.Expected is not ("yes" or "no"))
        {
            result.Add(ExpectedField, "Say whether the event is expected per the reference safety information.");
        }

        if (string.IsNullOrWhiteSpace(input.Rationale) || input.Rationale.Length > 2000)
        {
            result.Add(RationaleField, "Give the reasons for the assessment (at most 2000 characters).");
        }

        if (!result.Succeeded)
        {
            return new(result, false);
        }

        var current = standing.Current;
        var expected = input.Expected == "yes";
        var susar = current.Serious && (current.Causality.IsReasonablyPossible() || causality.IsReasonablyPossible()) && !expected;
        db.SafetyAssessments.Add(new SafetyAssessment
        {
            AdverseEventId = standing.Event.Id,
            TrialId = standing.Event.TrialId,
            SiteId = standing.Event.SiteId,
            ParticipantId = standing.Event.ParticipantId,
            AssessedVersion = current.Version,
            SponsorCausality = causality,
            Expected = expected,
            IsSusar = susar,
            Rationale = input.Rationale!.Trim(),
            AssessedAt = clock.GetUtcNow(),
            AssessedByUserId = me.Id,
            AssessedByName = me.DisplayName,
        });
        db.AuditAction(susar ? "AssessSusar" : "AssessAdverseEvent", nameof(AdverseEvent), standing.Event.Id.ToString(),
            new { Version = current.Version, SponsorCausality = causality.ToString(), Expected = expected, Susar = susar },
            standing.Event.TrialId, standing.Event.SiteId, standing.Event.ParticipantId);
        await db.SaveChangesAsync(cancellationToken);
        return new(OperationResult.Success, susar);
    }
}
