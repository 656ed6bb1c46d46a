using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Access;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Safety;

/// <summary>
/// Which adverse events a user may see: site staff those of their sites, the safety officer and the data manager all.
/// An event outside that is refused exactly as a missing one. Every event query goes through <see cref="VisibleEventsAsync"/>.
/// </summary>
public sealed class SafetyAccess(TrialDbContext db, CurrentUser me)
{
    public async Task<IQueryable<AdverseEvent>> VisibleEventsAsync(CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.ParticipantRecords);
        if (me.IsInRole(TrialRoles.SafetyOfficer) || me.IsInRole(TrialRoles.DataManager))
        {
            return db.AdverseEvents;
        }

        var sites = await me.MemberSiteIdsAsync(cancellationToken);
        return db.AdverseEvents.Where(e => sites.Contains(e.SiteId));
    }

    /// <summary>For site work on an event (follow-ups, signing): the user must be a member of the event's site.</summary>
    public async Task<AdverseEvent> EventForSiteWorkAsync(Guid eventId, string policy, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(policy);
        var sites = await me.MemberSiteIdsAsync(cancellationToken);
        return await db.AdverseEvents.SingleOrDefaultAsync(e => e.Id == eventId && sites.Contains(e.SiteId), cancellationToken)
            ?? throw new OperationForbiddenException("Not an adverse event of the user's sites.");
    }
}
