using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Supply;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Supply;

/// <summary>Kits of a site by where they are; every arm pooled.</summary>
public sealed record SiteStock(Guid SiteId, string SiteCode, string SiteName, string? DepotCode, int OnShelf, int Quarantined, int InTransit, int WithParticipants, int Requested);

/// <summary>Kits at a depot by lot; every arm pooled.</summary>
public sealed record DepotLotStock(string LotNumber, DateOnly ExpiresOn, int Available, int Reserved);

public sealed record DepotStock(Guid DepotId, string Code, string Name, IReadOnlyList<DepotLotStock> Lots);

public sealed record ShipmentRow(Guid Id, int Number, string SiteCode, string? DepotCode, ShipmentStatus Status, ShipmentReason Reason, int KitCount, DateTimeOffset RequestedAt, DateOnly? ExpectedOn, DateTimeOffset? ShippedAt, DateTimeOffset? ReceivedAt);

/// <summary>One packing-list line with the kit's state now.</summary>
public sealed record ShipmentLine(int Position, string KitCode, string? LotNumber, DateOnly ExpiresOn, KitState State, int Units);

public sealed record ShipmentDetail(Shipment Shipment, string TrialCode, string SiteCode, string SiteName, string? DepotCode, string? DepotName, int UnitsPerKit, string Unit, IReadOnlyList<ShipmentLine> Lines);

public sealed record KitHistory(string Code, string TrialCode, string? SiteCode, string? LotNumber, DateOnly ExpiresOn, KitState State, int Units, string? ParticipantNumber, IReadOnlyList<KitLedgerEntry> Entries);

public sealed record DestructionDetail(KitDestruction Destruction, string TrialCode, string SiteCode, string Unit);

public sealed record TrialSupply(Guid TrialId, string TrialCode, string Title, IReadOnlyList<DepotStock> Depots, IReadOnlyList<SiteStock> Sites, IReadOnlyList<ShipmentRow> Shipments);

/// <summary>One kit of a site, as the accountability page lists it.</summary>
public sealed record AccountabilityKit(string Code, string? LotNumber, DateOnly ExpiresOn, KitState State, int Units, string? ParticipantNumber, DateTimeOffset? DispensedAt, string? DispensedBy, bool Dispensable);

/// <summary>One log line with the units in the site's custody after it, and the ledger's refusal if it broke a rule.</summary>
public sealed record LedgerLine(KitLedgerEntry Entry, int UnitsOnSiteAfter, string? Refusal)
{
    public bool Refused => Refusal is not null;
}

public sealed record SiteAccountability(SupplySite Site, SiteReconciliation Reconciliation, IReadOnlyList<AccountabilityKit> Kits, IReadOnlyList<LedgerLine> Lines, IReadOnlyList<KitDestruction> Destructions, IReadOnlyList<ShipmentRow> Shipments);

/// <summary>
/// The reads behind the supply pages and the accountability log. Every count is pooled over arms; nothing here opens a
/// sealed value. Site staff get only their own sites.
/// </summary>
public sealed class SupplyOverview(TrialDbContext db, SupplyAccess access, SupplyLedger ledger, CurrentUser me, TimeProvider clock)
{
    /// <summary>Trials with a generated list, for the supply index.</summary>
    public async Task<List<(string Code, string Title, int OpenShipments)>> TrialsAsync(CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.Shipments);
        var sites = await VisibleSiteIdsAsync(cancellationToken);
        var trials = await db.Trials.AsNoTracking()
            .Where(t => db.RandomizationLists.Any(l => l.TrialId == t.Id) && (sites == null || t.Sites.Any(s => sites.Contains(s.SiteId))))
            .OrderBy(t => t.Code)
            .Select(t => new
            {
                t.Code,
                t.Title,
                Open = db.Shipments.Count(s => s.TrialId == t.Id && (sites == null || sites.Contains(s.SiteId)) &&
                    (s.Status == ShipmentStatus.Requested || s.Status == ShipmentStatus.Shipped || s.Status == ShipmentStatus.Quarantined)),
            })
            .ToListAsync(cancellationToken);
        return [.. trials.Select(t => (t.Code, t.Title, t.Open))];
    }

    public async Task<TrialSupply?> TrialAsync(string trialCode, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.Shipments);
        var trial = await db.Trials.AsNoTracking().Where(t => t.Code == trialCode).Select(t => new { t.Id, t.Code, t.Title }).SingleOrDefaultAsync(cancellationToken);
        if (trial is null)
        {
            return null;
        }

        var sites = await VisibleSiteIdsAsync(cancellationToken);
        var links = await db.TrialSites.AsNoTracking()
            .Where(l => l.TrialId == trial.Id && (sites == null || sites.Contains(l.SiteId)))
            .Select(l => new { l.SiteId, l.Site!.Code, l.Site.Name, DepotCode = db.Depots.Where(d => d.Id == l.DepotId).Select(d => d.Code).FirstOrDefault() })
            .OrderBy(l => l.Code)
            .ToListAsync(cancellationToken);
        if (links.Count == 0)
        {
            return null;
        }

        var siteIds = links.Select(l => l.SiteId).ToList();
        var counts = await db.Kits.AsNoTracking()
            .Where(k => k.TrialId == trial.Id && k.SiteId != null && siteIds.Contains(k.SiteId.Value))
            .GroupBy(k => new { SiteId = k.SiteId!.Value, k.State })
            .Select(g => new { g.Key.SiteId, g.Key.State, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var requested = await db.ShipmentKits.AsNoTracking()
            .Where(l => l.TrialId == trial.Id && siteIds.Contains(l.SiteId) && db.Shipments.Any(s => s.Id == l.ShipmentId && s.Status == ShipmentStatus.Requested))
            .GroupBy(l => l.SiteId)
            .Select(g => new { SiteId = g.Key, Count = g.Count() })
            .ToListAsync(cancellationToken);
        int Count(Guid siteId, KitState state) => counts.Where(c => c.SiteId == siteId && c.State == state).Sum(c => c.Count);
        var stock = links.Select(l => new SiteStock(l.SiteId, l.Code, l.Name, l.DepotCode,
            Count(l.SiteId, KitState.AtSite), Count(l.SiteId, KitState.Quarantined), Count(l.SiteId, KitState.InTransit), Count(l.SiteId, KitState.Dispensed),
            requested.Where(r => r.SiteId == l.SiteId).Sum(r => r.Count))).ToList();

        // Depot stock is the supply chain's business, not a site's.
        var depots = new List<DepotStock>();
        if (me.SeesAllSites)
        {
            var depotRows = await db.Depots.AsNoTracking()
                .Where(d => db.TrialSites.Any(l => l.TrialId == trial.Id && l.DepotId == d.Id))
                .OrderBy(d => d.Code)
                .ToListAsync(cancellationToken);
            var lots = await db.Kits.AsNoTracking()
                .Where(k => k.TrialId == trial.Id && k.DepotId != null && k.State == KitState.AtDepot && k.SiteId == null)
                .GroupBy(k => new { DepotId = k.DepotId!.Value, k.LotId, k.ExpiresOn, Reserved = k.ShipmentId != null })
                .Select(g => new { g.Key.DepotId, g.Key.LotId, g.Key.ExpiresOn, g.Key.Reserved, Count = g.Count() })
                .ToListAsync(cancellationToken);
            var lotNumbers = await db.KitLots.AsNoTracking().Where(l => l.TrialId == trial.Id).ToDictionaryAsync(l => l.Id, l => l.Number, cancellationToken);
            foreach (var depot in depotRows)
            {
                var byLot = lots.Where(l => l.DepotId == depot.Id)
                    .GroupBy(l => new { l.LotId, l.ExpiresOn })
                    .OrderBy(g => g.Key.ExpiresOn)
                    .Select(g => new DepotLotStock(
                        g.Key.LotId is { } id && lotNumbers.TryGetValue(id, out var number) ? number : "(no lot)",
                        g.Key.ExpiresOn,
                        g.Where(x => !x.Reserved).Sum(x => x.Count),
                        g.Where(x => x.Reserved).Sum(x => x.Count)))
                    .ToList();
                depots.Add(new DepotStock(depot.Id, depot.Code, depot.Name, byLot));
            }
        }

        var shipments = await ShipmentsAsync(trial.Id, siteIds, cancellationToken);
        return new TrialSupply(trial.Id, trial.Code, trial.Title, depots, stock, shipments);
    }

    /// <summary>A shipment the user may see, or null (missing and foreign look the same).</summary>
    public async Task<ShipmentDetail?> ShipmentAsync(Guid shipmentId, CancellationToken cancellationToken = default)
    {
        Shipment shipment;
        try
        {
            shipment = await access.ShipmentAsync(shipmentId, Policies.Shipments, tracked: false, cancellationToken);
        }
        catch (OperationForbiddenException)
        {
            return null;
        }

        var site = await access.SiteAsync(shipment.TrialId, shipment.SiteId, Policies.Shipments, cancellationToken);
        var depot = await db.Depots.AsNoTracking().Where(d => d.Id == shipment.DepotId).Select(d => new { d.Code, d.Name }).FirstOrDefaultAsync(cancellationToken);
        var lines = await db.ShipmentKits.AsNoTracking()
            .Where(l => l.ShipmentId == shipmentId)
            .OrderBy(l => l.Position)
            .Join(db.Kits, l => l.KitId, k => k.Id, (l, k) => new
            {
                l.Position,
                l.KitCode,
                Lot = db.KitLots.Where(x => x.Id == k.LotId).Select(x => x.Number).FirstOrDefault(),
                k.ExpiresOn,
                k.State,
                k.Units,
            })
            .ToListAsync(cancellationToken);
        return new ShipmentDetail(shipment, site.TrialCode, site.SiteCode, site.SiteName, depot?.Code, depot?.Name, site.Protocol.Kits.UnitsPerKit, site.Protocol.Kits.Unit,
            [.. lines.Select(l => new ShipmentLine(l.Position, l.KitCode, l.Lot, l.ExpiresOn, l.State, l.Units))]);
    }

    /// <summary>The accountability page's read, or null when the site is missing or not the user's.</summary>
    public async Task<SiteAccountability?> AccountabilityAsync(string trialCode, string siteCode, CancellationToken cancellationToken = default)
    {
        try
        {
            return await LoadAccountabilityAsync(await access.SiteAsync(trialCode, siteCode, Policies.Accountability, cancellationToken), cancellationToken);
        }
        catch (OperationForbiddenException)
        {
            return null;
        }
    }

    /// <summary>A site's accountability, for the page and the printed log; the caller has checked access.</summary>
    public async Task<SiteAccountability> LoadAccountabilityAsync(SupplySite site, CancellationToken cancellationToken)
    {
        var reconciliation = await ledger.ReconcileAsync(site.TrialId, site.SiteId, site.Protocol.Kits.UnitsPerKit, cancellationToken);
        var today = site.Today(clock);
        var kits = await db.Kits.AsNoTracking()
            .Where(k => k.TrialId == site.TrialId && k.SiteId == site.SiteId && k.State != KitState.AtDepot && k.State != KitState.InTransit)
            .Select(k => new
            {
                k.Code,
                Lot = db.KitLots.Where(l => l.Id == k.LotId).Select(l => l.Number).FirstOrDefault(),
                k.ExpiresOn,
                k.State,
                k.Units,
                Participant = db.Participants.Where(p => p.Id == k.ParticipantId).Select(p => p.Number).FirstOrDefault(),
                k.DispensedAt,
            })
            .ToListAsync(cancellationToken);
        var dispensedBy = reconciliation.Entries.Where(e => e.Kind == KitEventKind.Dispensed)
            .GroupBy(e => e.KitCode, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last().ByName, StringComparer.Ordinal);
        var lines = SupplyLedger.Running(site.Protocol.Kits.UnitsPerKit, reconciliation.Entries).Select(l => new LedgerLine(l.Entry, l.UnitsOnSiteAfter, l.Refusal)).ToList();
        var destructions = await db.KitDestructions.AsNoTracking().Include(d => d.Kits)
            .Where(d => d.TrialId == site.TrialId && d.SiteId == site.SiteId)
            .OrderByDescending(d => d.RecordedAt)
            .ToListAsync(cancellationToken);
        var shipments = await ShipmentsAsync(site.TrialId, [site.SiteId], cancellationToken);
        return new SiteAccountability(
            site,
            reconciliation,
            [.. kits.OrderBy(k => k.Code, StringComparer.Ordinal).Select(k => new AccountabilityKit(
                k.Code, k.Lot, k.ExpiresOn, k.State, k.Units, k.Participant, k.DispensedAt, dispensedBy.GetValueOrDefault(k.Code),
                k.State == KitState.AtSite && site.Protocol.Kits.IsDispensable(k.ExpiresOn, today)))],
            lines,
            destructions,
            shipments);
    }

    /// <summary>One kit's life at its site. Site staff see kits of their own sites only; a depot kit has no site history yet.</summary>
    public async Task<KitHistory?> KitAsync(string kitCode, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.Accountability);
        var code = Domain.Randomization.KitCode.Normalize(kitCode);
        var kit = await db.Kits.AsNoTracking().SingleOrDefaultAsync(k => k.Code == code, cancellationToken);
        if (kit is null || (!me.SeesAllSites && (kit.SiteId is not { } siteId || !(await me.MemberSiteIdsAsync(cancellationToken)).Contains(siteId))))
        {
            return null;
        }

        var trialCode = await db.Trials.Where(t => t.Id == kit.TrialId).Select(t => t.Code).SingleAsync(cancellationToken);
        var siteCode = await db.Sites.Where(s => s.Id == kit.SiteId).Select(s => s.Code).FirstOrDefaultAsync(cancellationToken);
        var lot = await db.KitLots.Where(l => l.Id == kit.LotId).Select(l => l.Number).FirstOrDefaultAsync(cancellationToken);
        var participant = await db.Participants.Where(p => p.Id == kit.ParticipantId).Select(p => p.Number).FirstOrDefaultAsync(cancellationToken);
        var entries = await db.KitLedger.AsNoTracking().Where(e => e.KitId == kit.Id).OrderBy(e => e.Sequence).ToListAsync(cancellationToken);
        return new KitHistory(kit.Code, trialCode, siteCode, lot, kit.ExpiresOn, kit.State, kit.Units, participant, entries);
    }

    public async Task<DestructionDetail?> DestructionAsync(Guid destructionId, CancellationToken cancellationToken = default)
    {
        try
        {
            var destruction = await access.DestructionAsync(destructionId, Policies.Accountability, cancellationToken);
            var site = await access.SiteAsync(destruction.TrialId, destruction.SiteId, Policies.Accountability, cancellationToken);
            return new DestructionDetail(destruction, site.TrialCode, site.SiteCode, site.Protocol.Kits.Unit);
        }
        catch (OperationForbiddenException)
        {
            return null;
        }
    }

    private async Task<List<ShipmentRow>> ShipmentsAsync(Guid trialId, List<Guid> siteIds, CancellationToken cancellationToken) =>
        await db.Shipments.AsNoTracking()
            .Where(s => s.TrialId == trialId && siteIds.Contains(s.SiteId))
            .OrderByDescending(s => s.RequestedAt).ThenByDescending(s => s.Number)
            .Take(500)
            .Select(s => new ShipmentRow(s.Id, s.Number,
                db.Sites.Where(x => x.Id == s.SiteId).Select(x => x.Code).Single(),
                db.Depots.Where(d => d.Id == s.DepotId).Select(d => d.Code).FirstOrDefault(),
                s.Status, s.Reason, s.KitCount, s.RequestedAt, s.ExpectedOn, s.ShippedAt, s.ReceivedAt))
            .ToListAsync(cancellationToken);

    /// <summary>Null when every site is visible.</summary>
    private async Task<IReadOnlySet<Guid>?> VisibleSiteIdsAsync(CancellationToken cancellationToken) =>
        me.SeesAllSites ? null : await me.MemberSiteIdsAsync(cancellationToken);
}
