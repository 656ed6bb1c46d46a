using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Protocols;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Protocols;

namespace TrialManager.Web.Features.Supply;

/// <summary>A trial and one of its sites, as supply work sees them.</summary>
public sealed record SupplySite(Guid TrialId, string TrialCode, Guid SiteId, string SiteCode, string SiteName, TimeZoneInfo Zone, Guid? DepotId, Protocol Protocol)
{
    public DateOnly Today(TimeProvider clock) => Domain.Participants.SiteCalendar.LocalDate(clock.GetUtcNow(), Zone);
}

/// <summary>
/// Operation-level checks for supply: the policy again, then the site. Site staff reach only their own sites; another
/// site's kit, shipment or destruction is refused exactly like a missing one.
/// </summary>
public sealed class SupplyAccess(TrialDbContext db, CurrentUser me, TrialProtocols protocols)
{
    /// <summary>The trial and site, after the policy and (for site-scoped roles) site membership.</summary>
    public async Task<SupplySite> SiteAsync(Guid trialId, Guid siteId, string policy, CancellationToken cancellationToken)
    {
        await me.DemandAsync(policy);
        return await LoadSiteAsync(trialId, siteId, cancellationToken);
    }

    /// <summary>Resolves codes from a route (<c>/trials/{code}/sites/{site}/…</c>); unknown codes are refused like foreign ones.</summary>
    public async Task<SupplySite> SiteAsync(string trialCode, string siteCode, string policy, CancellationToken cancellationToken)
    {
        await me.DemandAsync(policy);
        var ids = await db.TrialSites.AsNoTracking()
            .Where(l => l.Trial!.Code == trialCode && l.Site!.Code == siteCode)
            .Select(l => new { l.TrialId, l.SiteId })
            .SingleOrDefaultAsync(cancellationToken) ?? throw new OperationForbiddenException("No such trial site.");
        return await LoadSiteAsync(ids.TrialId, ids.SiteId, cancellationToken);
    }

    /// <summary>A shipment the user may see: the supply chain roles see all, site staff those to their own sites.</summary>
    public async Task<Shipment> ShipmentAsync(Guid shipmentId, string policy, bool tracked, CancellationToken cancellationToken)
    {
        await me.DemandAsync(policy);
        var query = tracked ? db.Shipments : db.Shipments.AsNoTracking();
        var shipment = await query.SingleOrDefaultAsync(s => s.Id == shipmentId, cancellationToken)
            ?? throw new OperationForbiddenException("No such shipment.");
        await RequireSiteAsync(shipment.SiteId, cancellationToken);
        return shipment;
    }

    public async Task<KitDestruction> DestructionAsync(Guid destructionId, string policy, CancellationToken cancellationToken)
    {
        await me.DemandAsync(policy);
        var destruction = await db.KitDestructions.Include(d => d.Kits).SingleOrDefaultAsync(d => d.Id == destructionId, cancellationToken)
            ?? throw new OperationForbiddenException("No such destruction.");
        await RequireSiteAsync(destruction.SiteId, cancellationToken);
        return destruction;
    }

    private async Task<SupplySite> LoadSiteAsync(Guid trialId, Guid siteId, CancellationToken cancellationToken)
    {
        await RequireSiteAsync(siteId, cancellationToken);
        var link = await db.TrialSites.AsNoTracking()
            .Where(l => l.TrialId == trialId && l.SiteId == siteId)
            .Select(l => new { l.Trial!.Code, SiteCode = l.Site!.Code, l.Site.Name, l.Site.TimeZone, l.DepotId })
            .SingleOrDefaultAsync(cancellationToken) ?? throw new OperationForbiddenException("The site is not in the trial.");
        var (_, protocol) = await protocols.CurrentAsync(trialId, cancellationToken);
        return new SupplySite(trialId, link.Code, siteId, link.SiteCode, link.Name, TimeZoneInfo.FindSystemTimeZoneById(link.TimeZone), link.DepotId, protocol);
    }

    private async Task RequireSiteAsync(Guid siteId, CancellationToken cancellationToken)
    {
        if (!me.SeesAllSites && !(await me.MemberSiteIdsAsync(cancellationToken)).Contains(siteId))
        {
            throw new OperationForbiddenException("Not one of the user's sites.");
        }
    }
}
