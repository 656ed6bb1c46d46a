using Microsoft.EntityFrameworkCore;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Participants;

/// <summary>
/// Loads a participant for work at their site, after the operation-level checks: the policy, and membership of the
/// participant's site. Another site's participant is refused exactly as a missing one.
/// </summary>
public sealed class ParticipantAccess(TrialDbContext db, CurrentUser me)
{
    public Task<Participant> ForSiteWorkAsync(Guid participantId, CancellationToken cancellationToken) =>
        LoadAsync(participantId, Policies.SiteWork, tracked: true, cancellationToken);

    /// <summary>For randomization and dispensing: untracked, because the caller re-reads the participant under a row lock.</summary>
    public Task<Participant> ForRandomizationAsync(Guid participantId, CancellationToken cancellationToken) =>
        LoadAsync(participantId, Policies.Randomize, tracked: false, cancellationToken);

    /// <summary>The site check alone, for an operation that demanded its policy and then read the row itself (under a lock).</summary>
    public async Task EnsureSiteAsync([System.Diagnostics.CodeAnalysis.NotNull] Participant? participant, CancellationToken cancellationToken)
    {
        if (participant is null || !(await me.MemberSiteIdsAsync(cancellationToken)).Contains(participant.SiteId))
        {
            throw new OperationForbiddenException("Not a participant of the user's sites.");
        }
    }

    private async Task<Participant> LoadAsync(Guid participantId, string policy, bool tracked, CancellationToken cancellationToken)
    {
        await me.DemandAsync(policy);
        var query = tracked ? db.Participants : db.Participants.AsNoTracking();
        var participant = await query.SingleOrDefaultAsync(p => p.Id == participantId, cancellationToken);
        await EnsureSiteAsync(participant, cancellationToken);
        return participant;
    }

    /// <summary>The participant's site's time zone: dates at the site (visits, diary days, returns) are in its calendar.</summary>
    public async Task<TimeZoneInfo> SiteZoneAsync(Participant participant, CancellationToken cancellationToken) =>
        TimeZoneInfo.FindSystemTimeZoneById(await db.Sites.Where(s => s.Id == participant.SiteId).Select(s => s.TimeZone).SingleAsync(cancellationToken));
}
