using TrialManager.Web.Authorization;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Participants;

/// <summary>A protocol deviation reported by site staff (those found automatically, such as out-of-window visits, are raised elsewhere).</summary>
public sealed class ReportDeviation(TrialDbContext db, ParticipantAccess access, CurrentUser me, TimeProvider clock)
{
    public const string DescriptionField = "Deviation";

    public async Task<OperationResult> ExecuteAsync(Guid participantId, string? visitCode, string? description, CancellationToken cancellationToken = default)
    {
        var participant = await access.ForSiteWorkAsync(participantId, cancellationToken);
        if (string.IsNullOrWhiteSpace(description) || description.Length > 2000)
        {
            return OperationResult.Fail(DescriptionField, "Describe the deviation (at most 2000 characters).");
        }

        db.ProtocolDeviations.Add(new ProtocolDeviation
        {
            TrialId = participant.TrialId,
            SiteId = participant.SiteId,
            ParticipantId = participant.Id,
            VisitCode = visitCode is { Length: > 0 and <= 40 } ? visitCode : "",
            Kind = DeviationKind.Reported,
            Description = description.Trim(),
            RaisedAt = clock.GetUtcNow(),
            RaisedByName = me.DisplayName,
        });
        await db.SaveChangesAsync(cancellationToken);
        return OperationResult.Success;
    }
}
