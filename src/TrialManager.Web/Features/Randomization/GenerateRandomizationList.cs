using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Randomization;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Sealing;

namespace TrialManager.Web.Features.Randomization;

/// <summary>
/// Generates a trial's randomization list and kit list from its protocol, sealed, in one transaction: a fresh 32-byte
/// seed and salt from the operating system's cryptographic generator, every slot's and kit's arm sealed, the list's
/// commitment stored, each site's initial kit stock released, depot reserve kept. Nobody sees an arm doing this.
/// </summary>
public sealed class GenerateRandomizationList(TrialDbContext db, Sealer sealer, TrialProtocols protocols, CurrentUser me, TimeProvider clock, ILogger<GenerateRandomizationList> logger)
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

        var kits = await PlanKitsAsync(trial, design, protocol.Kits, now, cancellationToken);
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

    private async Task<int> PlanKitsAsync(Trial trial, RandomizationDesign design, Domain.Protocols.KitDefinition kitDefinition, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var sites = trial.Sites.Select(s => s.Site!).OrderBy(s => s.Code, StringComparer.Ordinal).ToList();
        // The depot keeps as much again as the sites hold, for resupply (issue: drug supply).
        var planned = KitListPlanner.Plan(design, [.. sites.Select(s => s.Code)], kitDefinition.InitialStockPerSite, kitDefinition.InitialStockPerSite * sites.Count, RandomNumberGenerator.GetBytes(32));
        var expires = DateOnly.FromDateTime(now.UtcDateTime).AddDays(kitDefinition.ShelfLifeDays);
        var codes = KitCode.NewDistinct(planned.Count, RandomNumberGenerator.GetInt32).ToList();
        // Codes are unique across trials too; the rare clash with a code already in use is drawn again.
        for (var clashes = await ClashesAsync(codes, cancellationToken); clashes.Count > 0; clashes = await ClashesAsync(codes, cancellationToken))
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

        foreach (var (plannedKit, code) in planned.Zip(codes))
        {
            var kit = new Kit
            {
                TrialId = trial.Id,
                Code = code,
                SiteId = plannedKit.SiteCode is null ? null : sites.Single(s => s.Code == plannedKit.SiteCode).Id,
                State = plannedKit.SiteCode is null ? KitState.AtDepot : KitState.AtSite,
                ExpiresOn = expires,
            };
            kit.SealedArm = await sealer.SealArmAsync(trial.Id, KitArm, kit.Id, plannedKit.ArmCode, cancellationToken);
            db.Kits.Add(kit);
        }

        return planned.Count;
    }

    private async Task<List<string>> ClashesAsync(List<string> codes, CancellationToken cancellationToken) =>
        await db.Kits.Where(k => codes.Contains(k.Code)).Select(k => k.Code).ToListAsync(cancellationToken);
}
