using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Randomization;
using TrialManager.Domain.Supply;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Notifications;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Features.Signatures;
using TrialManager.Web.Sealing;

namespace TrialManager.Web.Features.Supply;

public enum SiteKitAction
{
    Quarantine,
    Release,
    Damaged,
    Lost,
    Expired,
}

/// <summary>
/// A kit on the site's shelf is quarantined, released, found damaged, lost or expired. The domain ledger replays the
/// kit's own history and judges whether the move is allowed, so the page and the log follow one rule set.
/// </summary>
public sealed class RecordSiteKitEvent(TrialDbContext db, SupplyAccess access, SupplyLedger ledger, TimeProvider clock)
{
    public async Task<OperationResult> ExecuteAsync(Guid trialId, Guid siteId, string? kitCode, SiteKitAction action, string? reason, CancellationToken cancellationToken = default)
    {
        var site = await access.SiteAsync(trialId, siteId, Policies.SiteSupply, cancellationToken);
        reason = reason?.Trim() ?? "";
        if (reason.Length is 0 or > 2000)
        {
            return OperationResult.Fail("Reason", "Say why (at most 2000 characters).");
        }

        var code = KitCode.Normalize(kitCode);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var kit = (await db.Kits.FromSql($"""SELECT * FROM "Kits" WHERE "Code" = {code} AND "TrialId" = {trialId} AND "SiteId" = {siteId} FOR UPDATE""").ToListAsync(cancellationToken)).SingleOrDefault();
        if (kit is null || kit.State is KitState.AtDepot or KitState.InTransit)
        {
            return OperationResult.Fail("KitCode", "There is no kit with that code at this site.");
        }

        var today = site.Today(clock);
        if (action == SiteKitAction.Release)
        {
            if (await db.Shipments.AnyAsync(s => s.Id == kit.ShipmentId && s.Status == ShipmentStatus.Quarantined, cancellationToken))
            {
                return OperationResult.Fail("KitCode", "This kit is held with its shipment; the depot releases or rejects the whole shipment.");
            }

            if (!site.Protocol.Kits.IsDispensable(kit.ExpiresOn, today))
            {
                return OperationResult.Fail("KitCode", $"This kit expires on {kit.ExpiresOn:yyyy-MM-dd}, within the {site.Protocol.Kits.ExpiryMarginDays}-day margin: it cannot go back on the shelf.");
            }
        }

        if (action == SiteKitAction.Expired && site.Protocol.Kits.IsDispensable(kit.ExpiresOn, today))
        {
            return OperationResult.Fail("KitCode", $"This kit is usable until {kit.ExpiresOn.AddDays(-site.Protocol.Kits.ExpiryMarginDays - 1):yyyy-MM-dd}; it is not expired.");
        }

        var history = await db.KitLedger.AsNoTracking().Where(e => e.KitId == kit.Id).OrderBy(e => e.Sequence).ToListAsync(cancellationToken);
        var replayed = SupplyLedger.Replay(site.Protocol.Kits.UnitsPerKit, history);
        KitEvent proposed = action switch
        {
            SiteKitAction.Quarantine => new KitQuarantined(kit.Code, reason),
            SiteKitAction.Release => new KitReleased(kit.Code),
            SiteKitAction.Damaged => new KitDamaged(kit.Code),
            SiteKitAction.Lost => new KitLost(kit.Code),
            _ => new KitExpired(kit.Code),
        };
        var verdict = replayed.Apply(proposed);
        if (!verdict.IsAccepted)
        {
            return OperationResult.Fail("KitCode", verdict.Message);
        }

        var record = replayed.Find(kit.Code)!;
        kit.State = record.State;
        kit.Units = record.Units;
        var kind = action switch
        {
            SiteKitAction.Quarantine => KitEventKind.Quarantined,
            SiteKitAction.Release => KitEventKind.Released,
            SiteKitAction.Damaged => KitEventKind.Damaged,
            SiteKitAction.Lost => KitEventKind.Lost,
            _ => KitEventKind.Expired,
        };
        ledger.Record(kit, siteId, kind, new KitEventDetails(Reason: reason));
        db.AuditAction($"Kit{kind}", nameof(Kit), kit.Id.ToString(), new { KitCode = kit.Code, Reason = reason }, trialId, siteId);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return OperationResult.Success;
    }
}

/// <summary>
/// The depot registers a packaging lot: whole kit sets (every arm in its ratio, shuffled), each kit with a random code
/// and its arm sealed. The depot manager chooses how many sets, never which arms.
/// </summary>
public sealed class RegisterLot(TrialDbContext db, Sealer sealer, Features.Protocols.TrialProtocols protocols, CurrentUser me, TimeProvider clock)
{
    public async Task<OperationResult<KitLot>> ExecuteAsync(Guid trialId, Guid? depotId, string? number, string? expiresOn, string? kitSets, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.DepotWork);
        var (_, protocol) = await protocols.CurrentAsync(trialId, cancellationToken);
        var trialCode = await db.Trials.Where(t => t.Id == trialId).Select(t => t.Code).SingleAsync(cancellationToken);
        var result = new OperationResult();
        var depots = await db.TrialSites.Where(l => l.TrialId == trialId && l.DepotId != null).Select(l => l.DepotId!.Value).Distinct().ToListAsync(cancellationToken);
        if (depotId is not { } depot || !depots.Contains(depot))
        {
            result.Add("DepotId", "Choose one of the trial's depots.");
        }

        number = number?.Trim() ?? "";
        if (number.Length is 0 or > 60 || !number.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '/' or '.'))
        {
            result.Add("Number", "Give the lot number as printed on the labels: 1 to 60 letters, digits, '-', '_', '/' or '.'.");
        }
        else if (await db.KitLots.AnyAsync(l => l.TrialId == trialId && l.Number == number, cancellationToken))
        {
            result.Add("Number", $"Lot {number} is already registered for this trial.");
        }

        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        if (!DateOnly.TryParseExact(expiresOn?.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var expiry))
        {
            result.Add("ExpiresOn", "Give the expiry date as on the label (YYYY-MM-DD).");
        }
        else if (!protocol.Kits.IsDispensable(expiry, today))
        {
            result.Add("ExpiresOn", $"A kit is not dispensed within {protocol.Kits.ExpiryMarginDays} days of its expiry, so this lot could never be used.");
        }

        if (!int.TryParse(kitSets, NumberStyles.None, CultureInfo.InvariantCulture, out var sets) || sets is < 1 or > 500)
        {
            result.Add("KitSets", $"Give the number of kit sets, 1 to 500 (a set is {protocol.RatioSum} kits, every arm in its ratio).");
        }

        if (!result.Succeeded)
        {
            return new(result, null);
        }

        await sealer.EnsureTrialKeyAsync(trialId, cancellationToken);
        var design = RandomizationDesign.FromProtocol(protocol);
        var planned = KitListPlanner.Plan(design, [], 1, sets * design.RatioSum, RandomNumberGenerator.GetBytes(32));
        var lot = new KitLot
        {
            TrialId = trialId,
            DepotId = depotId,
            Number = number,
            ExpiresOn = expiry,
            KitCount = planned.Count,
            CreatedAt = clock.GetUtcNow(),
            CreatedByName = me.DisplayName,
        };
        db.KitLots.Add(lot);
        var codes = await GenerateRandomizationList.NewKitCodesAsync(db, planned.Count, cancellationToken);
        foreach (var (plannedKit, code) in planned.Zip(codes))
        {
            var kit = new Kit
            {
                TrialId = trialId,
                Code = code,
                DepotId = depotId,
                LotId = lot.Id,
                State = KitState.AtDepot,
                ExpiresOn = expiry,
                Units = protocol.Kits.UnitsPerKit,
            };
            kit.SealedArm = await sealer.SealArmAsync(trialId, GenerateRandomizationList.KitArm, kit.Id, plannedKit.ArmCode, cancellationToken);
            db.Kits.Add(kit);
        }

        db.AuditAction("RegisterLot", nameof(KitLot), lot.Id.ToString(), new { Trial = trialCode, Lot = number, ExpiresOn = expiry, Kits = planned.Count }, trialId);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return new(OperationResult.Fail("Number", $"Lot {number} is already registered for this trial."), null);
        }

        return new(OperationResult.Success, lot);
    }
}

/// <summary>
/// Kits put forward for destruction by one site staff member, who confirms with their password. Nothing is destroyed
/// until a second, different person witnesses it (<see cref="WitnessDestruction"/>).
/// </summary>
public sealed class RecordDestruction(TrialDbContext db, SupplyAccess access, SignInManager<ApplicationUser> signIn, Notifier notifier, CurrentUser me, TimeProvider clock)
{
    public const string PasswordField = "Password";

    public async Task<OperationResult<Guid>> ExecuteAsync(Guid trialId, Guid siteId, IReadOnlyList<string> kitCodes, string? method, string? note, string? password, CancellationToken cancellationToken = default)
    {
        await access.SiteAsync(trialId, siteId, Policies.SiteSupply, cancellationToken);
        var result = new OperationResult();
        var codes = kitCodes.Select(c => KitCode.Normalize(c) ?? "").Where(c => c.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (codes.Count is 0 or > 500)
        {
            result.Add("KitCodes", "Choose the kits to destroy (at most 500 at once).");
        }

        method = method?.Trim() ?? "";
        if (method.Length is 0 or > 200)
        {
            result.Add("Method", "Say how the kits are destroyed, e.g. incineration by a licensed contractor (at most 200 characters).");
        }

        note = note?.Trim() ?? "";
        if (note.Length > 2000)
        {
            result.Add("Note", "The note is at most 2000 characters.");
        }

        if (!result.Succeeded)
        {
            return new(result, Guid.Empty);
        }

        var user = await signIn.UserManager.FindByIdAsync(me.Id) ?? throw new OperationForbiddenException("No such user.");
        var check = await SignatureCheck.PasswordAgainAsync(signIn, user, password);
        if (!check.Succeeded)
        {
            return new(OperationResult.Fail(PasswordField, check.IsLockedOut ? "Too many wrong passwords: your account is locked for 15 minutes." : "The password is not right; nothing was recorded."), Guid.Empty);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var kits = await db.Kits.FromSql($"""SELECT * FROM "Kits" WHERE "TrialId" = {trialId} AND "SiteId" = {siteId} AND "Code" = ANY({codes.ToArray()}) FOR UPDATE""").ToListAsync(cancellationToken);
        foreach (var code in codes)
        {
            var kit = kits.SingleOrDefault(k => k.Code == code);
            if (kit is null)
            {
                result.Add("KitCodes", $"There is no kit {code} at this site.");
            }
            else if (!KitLedger.IsDestroyable(kit.State))
            {
                result.Add("KitCodes", $"Kit {code} is {kit.State}: only quarantined, returned, damaged or expired kits are destroyed (quarantine a shelf kit first).");
            }
        }

        var pending = await db.KitDestructions.Where(d => d.SiteId == siteId && d.Status == DestructionStatus.AwaitingWitness)
            .SelectMany(d => d.Kits.Select(k => k.KitCode)).Where(c => codes.Contains(c)).ToListAsync(cancellationToken);
        foreach (var code in pending)
        {
            result.Add("KitCodes", $"Kit {code} is already in a destruction waiting for its witness.");
        }

        if (!result.Succeeded)
        {
            return new(result, Guid.Empty);
        }

        var destruction = new KitDestruction
        {
            TrialId = trialId,
            SiteId = siteId,
            Status = DestructionStatus.AwaitingWitness,
            Method = method,
            Note = note,
            RecordedAt = clock.GetUtcNow(),
            RecordedByUserId = me.Id,
            RecordedByName = me.DisplayName,
        };
        foreach (var kit in kits.OrderBy(k => k.Code, StringComparer.Ordinal))
        {
            destruction.Kits.Add(new KitDestructionKit { DestructionId = destruction.Id, KitId = kit.Id, KitCode = kit.Code, Units = kit.Units, TrialId = trialId, SiteId = siteId });
        }

        db.KitDestructions.Add(destruction);
        db.AuditAction("RecordDestruction", nameof(KitDestruction), destruction.Id.ToString(), new { Kits = codes, Method = method }, trialId, siteId);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        var others = await db.SiteMemberships.Where(m => m.SiteId == siteId && m.UserId != me.Id).Select(m => m.UserId).ToListAsync(cancellationToken);
        await notifier.NotifyUsersAsync(others, "A kit destruction needs a witness",
            $"{me.DisplayName} recorded the destruction of {codes.Count} kits ({method}). A second person must witness it and sign.",
            $"/destructions/{destruction.Id}", db.CurrentActor, cancellationToken);
        return new(OperationResult.Success, destruction.Id);
    }
}

/// <summary>
/// The second person witnesses a recorded destruction with their own password. Only now do the kits become Destroyed,
/// each with both people named in the log; the domain ledger refuses a destruction with one person twice.
/// </summary>
public sealed class WitnessDestruction(TrialDbContext db, SupplyAccess access, SupplyLedger ledger, Features.Protocols.TrialProtocols protocols, SignInManager<ApplicationUser> signIn, CurrentUser me, TimeProvider clock)
{
    public async Task<OperationResult> ExecuteAsync(Guid destructionId, string? password, CancellationToken cancellationToken = default)
    {
        var seen = await access.DestructionAsync(destructionId, Policies.SiteSupply, cancellationToken);
        if (seen.RecordedByUserId == me.Id)
        {
            return OperationResult.Fail("", "You recorded this destruction; a second, different person must witness it.");
        }

        var user = await signIn.UserManager.FindByIdAsync(me.Id) ?? throw new OperationForbiddenException("No such user.");
        var check = await SignatureCheck.PasswordAgainAsync(signIn, user, password);
        if (!check.Succeeded)
        {
            return OperationResult.Fail(RecordDestruction.PasswordField, check.IsLockedOut ? "Too many wrong passwords: your account is locked for 15 minutes." : "The password is not right; nothing was witnessed.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var destruction = (await db.KitDestructions.FromSql($"""SELECT * FROM "KitDestructions" WHERE "Id" = {destructionId} FOR UPDATE""").ToListAsync(cancellationToken)).Single();
        if (destruction.Status != DestructionStatus.AwaitingWitness)
        {
            return OperationResult.Fail("", $"This destruction is {destruction.Status.ToString().ToLowerInvariant()}; nothing was changed.");
        }

        var (_, protocol) = await protocols.CurrentAsync(destruction.TrialId, cancellationToken);
        var kitIds = await db.Set<KitDestructionKit>().Where(k => k.DestructionId == destructionId).Select(k => k.KitId).ToListAsync(cancellationToken);
        var kits = await db.Kits.FromSql($"""SELECT * FROM "Kits" WHERE "Id" = ANY({kitIds.ToArray()}) FOR UPDATE""").ToListAsync(cancellationToken);
        var history = await db.KitLedger.AsNoTracking().Where(e => kitIds.Contains(e.KitId)).OrderBy(e => e.Sequence).ToListAsync(cancellationToken);
        var replayed = SupplyLedger.Replay(protocol.Kits.UnitsPerKit, history);
        var result = new OperationResult();
        foreach (var kit in kits.OrderBy(k => k.Code, StringComparer.Ordinal))
        {
            var verdict = replayed.Apply(new KitDestroyed(kit.Code, destruction.RecordedByUserId, me.Id));
            if (!verdict.IsAccepted)
            {
                result.Add("", verdict.Message);
            }
        }

        if (!result.Succeeded)
        {
            return result;
        }

        foreach (var kit in kits)
        {
            kit.State = KitState.Destroyed;
            kit.Units = 0;
            ledger.Record(kit, destruction.SiteId, KitEventKind.Destroyed, new KitEventDetails(
                Reason: $"{destruction.Method}; recorded by {destruction.RecordedByName}, witnessed by {me.DisplayName}",
                DestructionId: destruction.Id,
                Witness1UserId: destruction.RecordedByUserId,
                Witness2UserId: me.Id));
        }

        destruction.Status = DestructionStatus.Witnessed;
        destruction.WitnessedAt = clock.GetUtcNow();
        destruction.WitnessUserId = me.Id;
        destruction.WitnessName = me.DisplayName;
        db.AuditAction("WitnessDestruction", nameof(KitDestruction), destruction.Id.ToString(), new { Kits = kits.Select(k => k.Code).Order(StringComparer.Ordinal).ToList(), RecordedBy = destruction.RecordedByName }, destruction.TrialId, destruction.SiteId);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return OperationResult.Success;
    }
}

/// <summary>A destruction still waiting for its witness is withdrawn (e.g. a kit was put in by mistake).</summary>
public sealed class CancelDestruction(TrialDbContext db, SupplyAccess access, CurrentUser me)
{
    public async Task<OperationResult> ExecuteAsync(Guid destructionId, CancellationToken cancellationToken = default)
    {
        await access.DestructionAsync(destructionId, Policies.SiteSupply, cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var destruction = (await db.KitDestructions.FromSql($"""SELECT * FROM "KitDestructions" WHERE "Id" = {destructionId} FOR UPDATE""").ToListAsync(cancellationToken)).Single();
        if (destruction.Status != DestructionStatus.AwaitingWitness)
        {
            return OperationResult.Fail("", $"This destruction is {destruction.Status.ToString().ToLowerInvariant()}; nothing was changed.");
        }

        destruction.Status = DestructionStatus.Cancelled;
        db.AuditAction("CancelDestruction", nameof(KitDestruction), destruction.Id.ToString(), new { By = me.DisplayName }, destruction.TrialId, destruction.SiteId);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return OperationResult.Success;
    }
}
