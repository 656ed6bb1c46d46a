using System.Globalization;
using TrialManager.Domain.Participants;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Participants;

public enum EndKind
{
    /// <summary>Study drug stopped; the participant stays in follow-up.</summary>
    DiscontinueDrug,

    /// <summary>Consent withdrawn: nothing more is collected.</summary>
    WithdrawConsent,

    LostToFollowUp,

    /// <summary>Left the trial for another reason (e.g. investigator's decision).</summary>
    Withdraw,
}

/// <summary>Discontinuation of study drug, or leaving the trial (consent withdrawn, lost to follow-up, other), with a reason and date.</summary>
public sealed class EndParticipation(TrialDbContext db, ParticipantAccess access, TimeProvider clock)
{
    public async Task<OperationResult> ExecuteAsync(Guid participantId, EndKind kind, string? reason, CancellationToken cancellationToken = default)
    {
        var participant = await access.ForSiteWorkAsync(participantId, cancellationToken);
        if (participant.WithdrawnOn is not null)
        {
            return OperationResult.Fail("", "This participant has already left the trial.");
        }

        if (string.IsNullOrWhiteSpace(reason) || reason.Length > 1000)
        {
            return OperationResult.Fail("EndReason", "Give the reason, in at most 1000 characters.");
        }

        var zone = await access.SiteZoneAsync(participant, cancellationToken);
        var today = SiteCalendar.LocalDate(clock.GetUtcNow(), zone);
        var text = reason.Trim();
        switch (kind)
        {
            case EndKind.DiscontinueDrug when participant.RandomizedAt is null || participant.DrugDiscontinuedOn is not null:
                return OperationResult.Fail("", "Study drug can be discontinued once, after randomization.");
            case EndKind.DiscontinueDrug:
                participant.DrugDiscontinuedOn = today;
                participant.DrugDiscontinuationReason = text;
                break;
            default:
                participant.WithdrawnOn = today;
                participant.WithdrawalReason = kind switch
                {
                    EndKind.WithdrawConsent => "Consent withdrawn: " + text,
                    EndKind.LostToFollowUp => "Lost to follow-up: " + text,
                    _ => text,
                };
                participant.ConsentWithdrawnOn = kind == EndKind.WithdrawConsent ? today : participant.ConsentWithdrawnOn;
                participant.Status = ParticipantStatus.Withdrawn;
                break;
        }

        db.AuditReason = text;
        db.AuditAction(kind.ToString(), nameof(Participant), participant.Id.ToString(), new { On = today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) }, participant.TrialId, participant.SiteId, participant.Id);
        await db.SaveChangesAsync(cancellationToken);
        return OperationResult.Success;
    }
}
