using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Randomization;
using TrialManager.Domain.Supply;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Features.Supply;
using TrialManager.Web.Sealing;

namespace TrialManager.Web.Features.Randomization;

/// <summary>
/// Generates a trial's randomization list and kit list from its protocol, sealed, in one transaction: a fresh 32-byte
/// seed and salt from the operating system's cryptographic generator, every slot's and kit's arm sealed, the list's
/// commitment stored, each site's initial kit stock released, depot reserve kept. Nobody sees an arm doing this.
/// </summary>
public sealed class GenerateRandomizationList(TrialDbContext db, Sealer sealer, TrialProtocols protocols, SupplyLedger ledger, CurrentUser me, TimeProvider clock, ILogger<GenerateRandomizationList> logger)
{
    public const string SlotArm = "slot-arm";
    public const string KitArm = "kit-arm";
    public const string ListSeed = "list-seed";
    public const string ListSalt = "list-salt";

    public sealed record Generated(string Commitment, int Strata, int Slots, int Kits);

    public async Task<OperationResult<Generated>> ExecuteAsync(Guid trialId, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.ManageRandomization);
        if (await db.RandomizationLists.AnyAsync(l => l.TrialId == trialId, cancellationToken))
        {
            return new(OperationResult.Fail("", "This trial already has its randomization list; a list is generated once."), null);
        }

        var trial = await db.Trials.Include(t => t.Sites).ThenInclude(s => s.Site).SingleOrDefaultAsync(t => t.Id == trialId, cancellationToken);
        if (trial is null)
        {
            return new(OperationResult.Fail("", "There is no such trial."), null);
        }

        var (versionId, protocol) = await protocols.CurrentAsync(trialId, cancellationToken);
        await sealer.EnsureTrialKeyAsync(trialId, cancellationToken);

        var seed = RandomNumberGenerator.GetBytes(32);
        var salt = RandomNumberGenerator.GetBytes(32);
        var design = RandomizationDesign.FromProtocol(protocol);
        var list = ListGenerator.Generate(design, seed);
        var commitment = Convert.ToHexStringLower(ListCommitment.Compute(list, salt));
        var now = clock.GetUtcNow();

        var row = new SealedRandomizationList
        {
            TrialId = trialId,
            ProtocolVersionId = versionId,
            Commitment = commitment,
            StrataCount = list.Strata.Count,
            SlotsPerStratum = design.SlotsPerStratum,
            CreatedAt = now,
            CreatedBy = me.Id,
        };
        row.SealedSeed = await sealer.SealAsync(trialId, ListSeed, row.Id, seed, cancellationToken);
        row.SealedSalt = await sealer.SealAsync(trialId, ListSalt, row.Id, salt, cancellationToken);
        db.RandomizationLists.Add(row);

        var slots = 0;
        foreach (var stratum in list.Strata)
        {
            var key = stratum.Stratum.ToString();
            db.StratumCursors.Add(new StratumCursor { ListId = row.Id, StratumKey = key, NextNumber = 1 });
            foreach (var listSlot in stratum.Slots)
            {
                var slot = new RandomizationSlot { ListId = row.Id, TrialId = trialId, StratumKey = key, Number = listSlot.Number };
                slot.SealedArm = await sealer.SealArmAsync(trialId, SlotArm, slot.Id, listSlot.ArmCode, cancellationToken);
                db.RandomizationSlots.Add(slot);
                slots++;
            }
        }

        var kits = await PlanKitsAsync(trial, design, protocol, now, cancellationToken);
        db.AuditAction("GenerateRandomizationList", nameof(SealedRandomizationList), row.Id.ToString(),
            new { Commitment = commitment, Strata = list.Strata.Count, Slots = slots, Kits = kits }, trialId: trialId);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Two administrators generating at once: the unique index on the trial keeps the first list.
            return new(OperationResult.Fail("", "This trial already has its randomization list; a list is generated once."), null);
        }

        logger.LogInformation("Randomization list generated for trial {TrialId}: {Strata} strata, {Slots} slots, {Kits} kits", trialId, list.Strata.Count, slots, kits);
        return new(OperationResult.Success, new Generated(commitment, list.Strata.Count, slots, kits));
    }

    private async Task<int> PlanKitsAsync(Trial trial, RandomizationDesign design, Domain.Protocols.Protocol protocol, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var kitDefinition = protocol.Kits;
        var links = trial.Sites.OrderBy(l => l.Site!.Code, StringComparer.Ordinal).ToList();
        var sites = links.Select(l => l.Site!).ToList();
        var planned = KitListPlanner.Plan(design, [.. sites.Select(s => s.Code)], kitDefinition.InitialStockPerSite, 0, RandomNumberGenerator.GetBytes(32))
            .Select(k => (Kit: k, DepotId: links.Single(l => l.Site!.Code == k.SiteCode).DepotId))
            .ToList();

        // Each depot keeps two full restocks for every site it supplies; without depots one reserve is kept as before.
        var depotIds = links.Where(l => l.DepotId is not null).Select(l => l.DepotId!.Value).Distinct().ToList();
        foreach (var depotId in depotIds)
        {
            var served = links.Count(l => l.DepotId == depotId);
            var reserve = served * 2 * links.Where(l => l.DepotId == depotId).Max(l => protocol.ResupplyLevels(l.Site!.Code).Maximum) * design.RatioSum;
            planned.AddRange(KitListPlanner.Plan(design, [], 1, reserve, RandomNumberGenerator.GetBytes(32)).Select(k => (k, (Guid?)depotId)));
        }

        if (depotIds.Count == 0)
        {
            planned.AddRange(KitListPlanner.Plan(design, [], 1, kitDefinition.InitialStockPerSite * sites.Count, RandomNumberGenerator.GetBytes(32)).Select(k => (k, (Guid?)null)));
        }

        var lot = new KitLot
        {
            TrialId = trial.Id,
            Number = $"{trial.Code}-L001",
            ExpiresOn = DateOnly.FromDateTime(now.UtcDateTime).AddDays(kitDefinition.ShelfLifeDays),
            KitCount = planned.Count,
            CreatedAt = now,
            CreatedByName = me.DisplayName,
        };
        db.KitLots.Add(lot);
        var codes = await NewKitCodesAsync(db, planned.Count, cancellationToken);
        var initial = sites.ToDictionary(s => s.Id, s => new Shipment
        {
            TrialId = trial.Id,
            DepotId = links.Single(l => l.SiteId == s.Id).DepotId,
            SiteId = s.Id,
            Number = 0,
            Status = ShipmentStatus.Received,
            Reason = ShipmentReason.Initial,
            RequestedAt = now,
            RequestedByName = me.DisplayName,
            ShippedAt = now,
            ShippedByName = me.DisplayName,
            ReceivedAt = now,
            ReceivedByName = me.DisplayName,
            PackagingIntact = true,
            TemperatureExcursion = false,
            ReceiptNote = "Initial stock, placed at the site when the list was generated.",
        });
        db.Shipments.AddRange(initial.Values);

        foreach (var ((plannedKit, depotId), code) in planned.Zip(codes))
        {
            var siteId = plannedKit.SiteCode is null ? (Guid?)null : sites.Single(s => s.Code == plannedKit.SiteCode).Id;
            var kit = new Kit
            {
                TrialId = trial.Id,
                Code = code,
                SiteId = siteId,
                DepotId = depotId,
                LotId = lot.Id,
                State = siteId is null ? KitState.AtDepot : KitState.AtSite,
                ExpiresOn = lot.ExpiresOn,
                Units = kitDefinition.UnitsPerKit,
            };
            kit.SealedArm = await sealer.SealArmAsync(trial.Id, KitArm, kit.Id, plannedKit.ArmCode, cancellationToken);
            db.Kits.Add(kit);
            if (siteId is { } site)
            {
                var shipment = initial[site];
                kit.ShipmentId = shipment.Id;
                db.ShipmentKits.Add(new ShipmentKit { ShipmentId = shipment.Id, KitId = kit.Id, KitCode = code, Position = ++shipment.KitCount, TrialId = trial.Id, SiteId = site });
                ledger.Record(kit, site, KitEventKind.Received, new KitEventDetails(Reason: "Initial stock", Units: kit.Units, ShipmentId: shipment.Id));
            }
        }

        return planned.Count;
    }

    /// <summary>
    /// Random kit codes, distinct among themselves and from every code already in use (in any trial); the rare clash
    /// is drawn again.
    /// </summary>
    public static async Task<List<string>> NewKitCodesAsync(TrialDbContext db, int count, CancellationToken cancellationToken)
    {
        var codes = KitCode.NewDistinct(count, RandomNumberGenerator.GetInt32).ToList();
        for (var clashes = await ClashesAsync(db, codes, cancellationToken); clashes.Count > 0; clashes = await ClashesAsync(db, codes, cancellationToken))
        {
            foreach (var clash in clashes)
            {
                string fresh;
                do
                {
                    fresh = KitCode.New(RandomNumberGenerator.GetInt32);
                }
                while (codes.Contains(fresh));

                codes[codes.IndexOf(clash)] = fresh;
            }
        }

        return codes;
    }

    private static async Task<List<string>> ClashesAsync(TrialDbContext db, List<string> codes, CancellationToken cancellationToken) =>
        await db.Kits.Where(k => codes.Contains(k.Code)).Select(k => k.Code).ToListAsync(cancellationToken);
}
