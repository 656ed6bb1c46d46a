using System.Globalization;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Safety;

public sealed class ExpeditedReportInput
{
    /// <summary>When the report went to the regulator: UTC, as yyyy-MM-ddTHH:mm.</summary>
    public string? SubmittedAt { get; set; }

    public string? Reference { get; set; }
}

/// <summary>
/// Records that the safety officer sent an expedited (SUSAR) report covering the event up to its current version;
/// that stops the initial or follow-up clock. The report itself goes through the regulator's own gateway.
/// </summary>
public sealed class RecordExpeditedReport(TrialDbContext db, SafetyOverview overview, CurrentUser me, TimeProvider clock)
{
    public const string SubmittedAtField = nameof(ExpeditedReportInput.SubmittedAt);
    public const string ReferenceField = nameof(ExpeditedReportInput.Reference);

    public async Task<OperationResult> ExecuteAsync(Guid eventId, ExpeditedReportInput input, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.SafetyAssessment);
        var standing = await overview.EventAsync(eventId, cancellationToken);
        var result = new OperationResult();
        if (!standing.Status.IsSusar)
        {
            return OperationResult.Fail("", "Only an event assessed as a SUSAR is reported on the expedited clock.");
        }

        var now = clock.GetUtcNow();
        DateTimeOffset submitted = default;
        if (!DateTime.TryParseExact(input.SubmittedAt ?? "", "yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            result.Add(SubmittedAtField, "Enter when the report was submitted, in UTC (date and time).");
        }
        else
        {
            submitted = new DateTimeOffset(parsed, TimeSpan.Zero);
            if (submitted > now)
            {
                result.Add(SubmittedAtField, "The submission time is in the future.");
            }
            else if (submitted < standing.Versions[0].ReceivedAt.AddMinutes(-1))
            {
                result.Add(SubmittedAtField, "The submission time is before the sponsor received the event.");
            }
        }

        if (string.IsNullOrWhiteSpace(input.Reference) || input.Reference.Trim().Length > 100)
        {
            result.Add(ReferenceField, "Enter the regulator's or gateway's reference for the submission (at most 100 characters).");
        }

        if (!result.Succeeded)
        {
            return result;
        }

        db.ExpeditedReports.Add(new ExpeditedReport
        {
            AdverseEventId = standing.Event.Id,
            TrialId = standing.Event.TrialId,
            SiteId = standing.Event.SiteId,
            ParticipantId = standing.Event.ParticipantId,
            CoversVersion = standing.Event.CurrentVersion,
            SubmittedAt = submitted,
            Reference = input.Reference!.Trim(),
            RecordedByName = me.DisplayName,
            RecordedAt = now,
        });
        await db.SaveChangesAsync(cancellationToken);
        return OperationResult.Success;
    }
}
