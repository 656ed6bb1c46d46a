using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Access;
using TrialManager.Domain.Participants;
using TrialManager.Domain.Randomization;
using TrialManager.Domain.Supply;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Features.Notifications;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Sealing;

namespace TrialManager.Web.Features.Supply;

/// <summary>What one resupply check did, in words anyone may read: counts of kits and shipments, never per arm.</summary>
public sealed record ResupplyOutcome(int SitesChecked, int ShipmentsProposed, int KitsProposed, int KitsQuarantined, IReadOnlyList<string> Shortfalls);

/// <summary>
/// The daily resupply check, inside the sealed service: for every site supplied by a depot, opens the arms of its
/// stock and of the kits on their way, lets the domain's <see cref="ResupplyPlanner"/> decide, quarantines kits that
/// entered the expiry margin, and proposes a shipment of whole, shuffled kit sets picked from the depot. Arms exist
/// only in memory here; what is stored and shown is kit codes and counts. One trial at a time under a transaction-level
/// advisory lock, so two app instances checking at once cannot both propose. See README.md in this folder.
/// </summary>
public sealed class ResupplyCheck(
    TrialDbContext db,
    Sealer sealer,
    TrialProtocols protocols,
    SupplyLedger ledger,
    Notifier notifier,
    CurrentUser me,
    TimeProvider clock,
    ILogger<ResupplyCheck> logger)
{
    private static readonly AuditActor SystemActor = AuditActor.System("resupply check");

    private const string ShortfallAction = "ResupplyShortfall";

    /// <summary>How often one site's unfilled resupply is recorded and sent (the check runs daily in every instance).</summary>
    public static readonly TimeSpan ShortfallNoticeInterval = TimeSpan.FromHours(20);

    /// <summary>Run by a depot manager ("Run the resupply check now").</summary>
    public async Task<ResupplyOutcome> RunAsync(CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.DepotWork);
        return await RunAllAsync(cancellationToken);
    }

    /// <summary>Run by the daily worker, as the system.</summary>
    public Task<ResupplyOutcome> RunAsSystemAsync(CancellationToken cancellationToken = default)
    {
        db.AuditActorOverride = SystemActor;
        return RunAllAsync(cancellationToken);
    }

    private async Task<ResupplyOutcome> RunAllAsync(CancellationToken cancellationToken)
    {
        // A locked trial takes no new shipments: its supply records are frozen with the rest of its data.
        var trials = await db.RandomizationLists.AsNoTracking()
            .Where(l => db.TrialSites.Any(s => s.TrialId == l.TrialId && s.DepotId != null))
            .Where(l => db.Trials.Any(t => t.Id == l.TrialId && t.LockLevel == TrialLockLevel.Open))
            .Select(l => l.TrialId)
            .ToListAsync(cancellationToken);
        var total = new ResupplyOutcome(0, 0, 0, 0, []);
        foreach (var trialId in trials)
        {
            var outcome = await CheckTrialAsync(trialId, cancellationToken);
            total = new ResupplyOutcome(
                total.SitesChecked + outcome.SitesChecked,
                total.ShipmentsProposed + outcome.ShipmentsProposed,
                total.KitsProposed + outcome.KitsProposed,
                total.KitsQuarantined + outcome.KitsQuarantined,
                [.. total.Shortfalls, .. outcome.Shortfalls]);
        }

        return total;
    }

    private async Task<ResupplyOutcome> CheckTrialAsync(Guid trialId, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({"resupply:" + trialId}, 0))", cancellationToken);
        var (_, protocol) = await protocols.CurrentAsync(trialId, cancellationToken);
        var arms = protocol.Arms.Select(a => new ArmRatio(a.Code, a.Ratio)).ToList();
        var trialCode = await db.Trials.Where(t => t.Id == trialId).Select(t => t.Code).SingleAsync(cancellationToken);
        var sites = await db.TrialSites.AsNoTracking()
            .Where(l => l.TrialId == trialId && l.DepotId != null)
            .Select(l => new { l.SiteId, l.Site!.Code, l.Site.TimeZone, DepotId = l.DepotId!.Value, DepotCode = db.Depots.Where(d => d.Id == l.DepotId).Select(d => d.Code).Single() })
            .OrderBy(l => l.Code)
            .ToListAsync(cancellationToken);

        var proposed = new List<(Shipment Shipment, string SiteCode)>();
        var shortfalls = new List<string>();
        var noticed = new List<string>();
        var quarantined = 0;
        foreach (var site in sites)
        {
            var today = SiteCalendar.LocalDate(clock.GetUtcNow(), TimeZoneInfo.FindSystemTimeZoneById(site.TimeZone));
            var policy = ResupplyPolicy.ForSite(protocol, site.Code);
            var onShelf = await db.Kits
                .Where(k => k.TrialId == trialId && k.SiteId == site.SiteId && k.State == KitState.AtSite)
                .ToListAsync(cancellationToken);
            var shelfArms = await sealer.OpenArmsAsync(trialId, GenerateRandomizationList.KitArm, onShelf.Select(k => (k.Id, k.SealedArm)), cancellationToken);
            var coming = await db.Kits.AsNoTracking()
                .Where(k => k.TrialId == trialId && db.Shipments.Any(s => s.Id == k.ShipmentId && s.SiteId == site.SiteId && (s.Status == ShipmentStatus.Requested || s.Status == ShipmentStatus.Shipped)))
                .Select(k => new { k.Id, k.SealedArm })
                .ToListAsync(cancellationToken);
            var comingArms = await sealer.OpenArmsAsync(trialId, GenerateRandomizationList.KitArm, coming.Select(k => (k.Id, k.SealedArm)), cancellationToken);
            var number = await db.Shipments.Where(s => s.TrialId == trialId && s.SiteId == site.SiteId).MaxAsync(s => (int?)s.Number, cancellationToken) ?? 0;
            var decision = ResupplyPlanner.Plan(
                arms,
                policy,
                [.. onShelf.Select(k => new StockKit(k.Code, shelfArms[k.Id], k.ExpiresOn))],
                comingArms.Values.GroupBy(a => a, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
                today,
                ResupplyPlanner.StreamFor(RandomNumberGenerator.GetBytes(32), site.Code, number + 1));

            foreach (var stale in decision.Unavailable)
            {
                var kit = onShelf.Single(k => k.Code == stale.KitCode);
                kit.State = KitState.Quarantined;
                ledger.Record(kit, site.SiteId, KitEventKind.Quarantined, new KitEventDetails(Reason: $"Within the expiry margin (expires {kit.ExpiresOn:yyyy-MM-dd}); not to be dispensed"));
                quarantined++;
            }

            if (!decision.NeedsShipment)
            {
                continue;
            }

            var picked = await PickAsync(trialId, site.DepotId, arms, decision, policy, today, cancellationToken);
            if (picked is null)
            {
                var shortfall = $"Depot {site.DepotCode} cannot fill a resupply of {decision.ShipmentSize} kits for site {site.Code}; register a new lot at the depot.";
                shortfalls.Add(shortfall);
                // Every instance runs the daily check, and a depot manager may run it by hand: the same shortfall is
                // recorded and sent once per interval, not once per run (the check's own advisory lock orders the runs).
                // Measured on the audit trail's own clock (the database server's), which wrote the earlier entry.
                var siteId = site.SiteId.ToString();
                var recent = await db.Database.SqlQuery<bool>($"""
                    SELECT EXISTS (SELECT 1 FROM "AuditTrail" WHERE "EntityType" = 'Site' AND "EntityId" = {siteId} AND "Action" = {ShortfallAction}
                        AND "TrialId" = {trialId} AND "OccurredAt" > now() - {ShortfallNoticeInterval}) AS "Value"
                    """).SingleAsync(cancellationToken);
                if (!recent)
                {
                    noticed.Add(shortfall);
                    db.AuditAction(ShortfallAction, nameof(Site), siteId, new { Site = site.Code, Depot = site.DepotCode, Kits = decision.ShipmentSize }, trialId, site.SiteId);
                }

                continue;
            }

            var shipment = new Shipment
            {
                TrialId = trialId,
                DepotId = site.DepotId,
                SiteId = site.SiteId,
                Number = number + 1,
                Status = ShipmentStatus.Requested,
                Reason = ShipmentReason.Resupply,
                KitCount = picked.Count,
                RequestedAt = clock.GetUtcNow(),
                RequestedByName = db.CurrentActor.UserName,
                ExpectedOn = today.AddDays(policy.LeadTimeDays),
            };
            db.Shipments.Add(shipment);
            for (var i = 0; i < picked.Count; i++)
            {
                picked[i].ShipmentId = shipment.Id;
                db.ShipmentKits.Add(new ShipmentKit { ShipmentId = shipment.Id, KitId = picked[i].Id, KitCode = picked[i].Code, Position = i + 1, TrialId = trialId, SiteId = site.SiteId });
            }

            db.AuditAction("ProposeShipment", nameof(Shipment), shipment.Id.ToString(), new { Site = site.Code, shipment.Number, Kits = shipment.KitCount }, trialId, site.SiteId);
            proposed.Add((shipment, site.Code));
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        foreach (var (shipment, siteCode) in proposed)
        {
            await notifier.NotifyRolesAsync(
                [TrialRoles.DepotManager],
                $"Resupply proposed: {trialCode} shipment {shipment.Number} to {siteCode}",
                $"The resupply check proposes shipment {shipment.Number} of {shipment.KitCount} kits to site {siteCode}, expected by {shipment.ExpectedOn:yyyy-MM-dd}. Pack the kits in the order listed and record the dispatch.",
                $"/shipments/{shipment.Id}",
                db.CurrentActor,
                cancellationToken);
        }

        if (noticed.Count > 0)
        {
            await notifier.NotifyRolesAsync([TrialRoles.DepotManager, TrialRoles.DataManager], $"Resupply cannot be filled: {trialCode}", string.Join(" ", noticed), $"/trials/{trialCode}/supply", db.CurrentActor, cancellationToken);
        }

        logger.LogInformation("Resupply check of trial {TrialId}: {Sites} sites, {Shipments} shipments proposed, {Quarantined} kits quarantined for expiry, {Shortfalls} shortfalls", trialId, sites.Count, proposed.Count, quarantined, shortfalls.Count);
        return new ResupplyOutcome(sites.Count, proposed.Count, proposed.Sum(p => p.Shipment.KitCount), quarantined, shortfalls);
    }

    /// <summary>
    /// Depot kits for the packing list, still dispensable when they arrive. Kits are taken a whole kit set at a time,
    /// each set from one lot (the earliest-expiring lot that can still give a complete set), so every lot in a
    /// shipment arrives with its arms in the ratio and a kit's lot says nothing about its arm. The sets' kits are then
    /// laid out in the shuffled packing order. Null when the depot cannot fill every set.
    /// </summary>
    private async Task<List<Kit>?> PickAsync(Guid trialId, Guid depotId, IReadOnlyList<ArmRatio> arms, ResupplyDecision decision, ResupplyPolicy policy, DateOnly today, CancellationToken cancellationToken)
    {
        var arrival = today.AddDays(policy.LeadTimeDays);
        var firstUsableExpiry = arrival.AddDays(policy.ExpiryMarginDays + 1);
        var depotKits = await db.Kits
            .Where(k => k.TrialId == trialId && k.DepotId == depotId && k.SiteId == null && k.State == KitState.AtDepot && k.ShipmentId == null && k.ExpiresOn >= firstUsableExpiry)
            .ToListAsync(cancellationToken);
        var depotArms = await sealer.OpenArmsAsync(trialId, GenerateRandomizationList.KitArm, depotKits.Select(k => (k.Id, k.SealedArm)), cancellationToken);
        var lots = depotKits.GroupBy(k => (k.LotId, k.ExpiresOn))
            .OrderBy(g => g.Key.ExpiresOn).ThenBy(g => g.Key.LotId)
            .Select(g => arms.ToDictionary(a => a.Code, a => new Queue<Kit>(Shuffled(g.Where(k => depotArms[k.Id] == a.Code))), StringComparer.Ordinal))
            .ToList();
        var chosen = arms.ToDictionary(a => a.Code, _ => new Queue<Kit>(), StringComparer.Ordinal);
        for (var set = 0; set < decision.KitSets; set++)
        {
            var lot = lots.FirstOrDefault(l => arms.All(a => l[a.Code].Count >= a.Ratio));
            if (lot is null)
            {
                return null;
            }

            foreach (var arm in arms)
            {
                for (var i = 0; i < arm.Ratio; i++)
                {
                    chosen[arm.Code].Enqueue(lot[arm.Code].Dequeue());
                }
            }
        }

        return [.. decision.PackingOrder.Select(arm => chosen[arm].Dequeue())];
    }

    private static List<Kit> Shuffled(IEnumerable<Kit> kits)
    {
        var list = kits.ToList();
        RandomNumberGenerator.Shuffle(CollectionsMarshal.AsSpan(list));
        return list;
    }
}
