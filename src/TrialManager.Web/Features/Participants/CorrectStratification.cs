using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Randomization;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Protocols;

namespace TrialManager.Web.Features.Participants;

/// <summary>
/// The data manager's documented correction of a participant's stratification levels (for example a baseline score
/// entered wrongly). Before randomization it decides the stratum; after it, the allocation already made stands and
/// the correction is kept, with its reason, for the analysis. Nobody else can change the levels.
/// </summary>
public sealed class CorrectStratification(TrialDbContext db, TrialProtocols protocols, CurrentUser me)
{
    public const string ReasonField = "StratumReason";

    public async Task<OperationResult> ExecuteAsync(Guid participantId, IReadOnlyDictionary<string, string?> levels, string? reason, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.ManageQueries);
        var participant = await db.Participants.SingleOrDefaultAsync(p => p.Id == participantId, cancellationToken);
        if (participant is null)
        {
            return OperationResult.Fail("", "There is no such participant.");
        }

        var protocol = await protocols.ForVersionAsync(participant.ProtocolVersionId, cancellationToken);
        var chosen = new List<StratumLevel>();
        var result = new OperationResult();
        foreach (var factor in protocol.Randomization.Factors)
        {
            var level = levels.GetValueOrDefault(factor.Code);
            if (level is null || factor.Levels.All(l => l.Code != level))
            {
                result.Add("level." + factor.Code, $"Choose a level for {factor.Label.ToLowerInvariant()}.");
            }
            else
            {
                chosen.Add(new StratumLevel(factor.Code, level));
            }
        }

        if (string.IsNullOrWhiteSpace(reason) || reason.Length > 1000)
        {
            result.Add(ReasonField, "A correction needs its reason (at most 1000 characters).");
        }

        if (!result.Succeeded)
        {
            return result;
        }

        var corrected = Randomization.ParticipantStratum.Format(chosen);
        if (corrected == participant.StratumLevels)
        {
            return OperationResult.Fail("", "These are the levels already recorded.");
        }

        participant.StratumLevels = corrected;
        db.AuditReason = reason!.Trim();
        db.AuditAction("CorrectStratification", nameof(Participant), participant.Id.ToString(),
            new { Levels = corrected, AfterRandomization = participant.RandomizedAt is not null }, participant.TrialId, participant.SiteId, participant.Id);
        await db.SaveChangesAsync(cancellationToken);
        return OperationResult.Success;
    }
}
