using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Supply;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Features.Supply;
using TrialManager.Web.Sealing;

namespace TrialManager.Web.Features.Randomization;

/// <summary>
/// Dispensing after randomization: a kit at a visit the protocol marks as dispensing, or a replacement for a kit that
/// was damaged or lost. Either way the new kit has the participant's arm, matched inside the sealed service; nobody
/// sees the arm. One transaction each; a visit's kit is dispensed once (a second submit returns the first).
/// </summary>
public sealed class DispenseKit(TrialDbContext db, KitStock stock, SupplyLedger ledger, ParticipantAccess access, TrialProtocols protocols, CurrentUser me, TimeProvider clock, ILogger<DispenseKit> logger)
{
    public sealed record Dispensed(string KitCode, bool AlreadyDispensed);

    public async Task<OperationResult<Dispensed>> AtVisitAsync(Guid participantId, string visitCode, CancellationToken cancellationToken = default)
    {
        try
        {
            return await AtVisitCoreAsync(participantId, visitCode, cancellationToken);
        }
        catch (SealBrokenException e)
        {
            var participant = await db.Participants.AsNoTracking().SingleAsync(p => p.Id == participantId, cancellationToken);
            return new(await stock.SealBrokenAsync(participant, "Dispensing", e, cancellationToken), null);
        }
    }

    public const string UnitsLeftField = "UnitsLeft";

    /// <param name="unitsLeft">For a damaged kit, the units still in it (counted when the participant hands it back).</param>
    public async Task<OperationResult<Dispensed>> ReplaceAsync(Guid participantId, string kitCode, KitState reason, string? unitsLeft = null, CancellationToken cancellationToken = default)
    {
        try
        {
            return await ReplaceCoreAsync(participantId, kitCode, reason, unitsLeft, cancellationToken);
        }
        catch (SealBrokenException e)
        {
            var participant = await db.Participants.AsNoTracking().SingleAsync(p => p.Id == participantId, cancellationToken);
            return new(await stock.SealBrokenAsync(participant, "Kit replacement", e, cancellationToken), null);
        }
    }

    private async Task<OperationResult<Dispensed>> AtVisitCoreAsync(Guid participantId, string visitCode, CancellationToken cancellationToken)
    {
        var participant = await access.ForRandomizationAsync(participantId, cancellationToken);
        var protocol = await protocols.ForVersionAsync(participant.ProtocolVersionId, cancellationToken);
        var visit = protocol.FindVisit(visitCode);
        if (visit is null || !visit.DispensesKit || visit == protocol.RandomizationVisit)
        {
            return new(OperationResult.Fail("", "Kits are not dispensed at that visit."), null);
        }

        if (participant.Status != ParticipantStatus.Randomized)
        {
            return new(OperationResult.Fail("", "Only randomized participants receive kits."), null);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var locked = await LockAsync(participantId, cancellationToken);
        var earlier = await db.Dispensings.AsNoTracking().FirstOrDefaultAsync(d => d.ParticipantId == participantId && d.Kind == DispensingKind.Visit && d.VisitCode == visit.Code, cancellationToken);
        if (earlier is not null)
        {
            return new(OperationResult.Success, new Dispensed(earlier.KitCode, AlreadyDispensed: true));
        }

        var kit = await stock.TakeAsync(locked.TrialId, locked.SiteId, await stock.AllocatedArmAsync(locked, cancellationToken), protocol, cancellationToken);
        if (kit is null)
        {
            await transaction.RollbackAsync(cancellationToken);
            return new(await stock.UnavailableAsync(locked, "Dispensing", "no kit of the allocated arm at the site", cancellationToken), null);
        }

        Hand(locked, kit, DispensingKind.Visit, visit.Code, replaces: null);
        db.AuditAction("Dispense", nameof(Kit), kit.Id.ToString(), new { KitCode = kit.Code, Visit = visit.Code }, locked.TrialId, locked.SiteId, locked.Id);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Kit {KitCode} dispensed to {ParticipantId} at visit {Visit}", kit.Code, locked.Id, visit.Code);
        return new(OperationResult.Success, new Dispensed(kit.Code, AlreadyDispensed: false));
    }

    private async Task<OperationResult<Dispensed>> ReplaceCoreAsync(Guid participantId, string kitCode, KitState reason, string? unitsLeft, CancellationToken cancellationToken)
    {
        if (reason is not (KitState.Damaged or KitState.Lost))
        {
            return new(OperationResult.Fail("Reason", "Choose whether the kit was damaged or lost."), null);
        }

        var participant = await access.ForRandomizationAsync(participantId, cancellationToken);
        var protocol = await protocols.ForVersionAsync(participant.ProtocolVersionId, cancellationToken);
        var counted = 0;
        if (reason == KitState.Damaged && !int.TryParse(unitsLeft, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out counted))
        {
            return new(OperationResult.Fail(UnitsLeftField, $"Count the {protocol.Kits.Unit}s left in the damaged kit: a number from 0 to {protocol.Kits.UnitsPerKit} (0 if none can be recovered)."), null);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var locked = await LockAsync(participantId, cancellationToken);
        var code = Domain.Randomization.KitCode.Normalize(kitCode);
        var old = await db.Kits.SingleOrDefaultAsync(k => k.Code == code && k.ParticipantId == participant.Id, cancellationToken);
        if (old is null)
        {
            return new(OperationResult.Fail("KitCode", "This participant has no kit with that code."), null);
        }

        if (old.State != KitState.Dispensed)
        {
            // Already replaced (a second submit): return the replacement made the first time.
            var replacement = await db.Kits.AsNoTracking().Where(k => k.ReplacesKitId == old.Id).Select(k => k.Code).FirstOrDefaultAsync(cancellationToken);
            return replacement is null
                ? new(OperationResult.Fail("KitCode", "That kit is not with the participant any more."), null)
                : new(OperationResult.Success, new Dispensed(replacement, AlreadyDispensed: true));
        }

        if (reason == KitState.Damaged && counted > old.Units)
        {
            return new(OperationResult.Fail(UnitsLeftField, $"The kit held {old.Units} {protocol.Kits.Unit}s when it was dispensed; count at most that many."), null);
        }

        // The same arm as the kit it replaces, which is the participant's arm.
        var kit = await stock.TakeAsync(locked.TrialId, locked.SiteId, await stock.AllocatedArmAsync(locked, cancellationToken), protocol, cancellationToken);
        if (kit is null)
        {
            await transaction.RollbackAsync(cancellationToken);
            return new(await stock.UnavailableAsync(locked, "Kit replacement", "no kit of the allocated arm at the site", cancellationToken), null);
        }

        old.State = reason;
        old.Units = reason == KitState.Damaged ? counted : 0;
        ledger.Record(old, locked.SiteId, reason == KitState.Damaged ? KitEventKind.Damaged : KitEventKind.Lost, new KitEventDetails(
            Reason: reason == KitState.Damaged ? "Damaged while with the participant; replaced" : "Lost by the participant; replaced",
            Units: reason == KitState.Damaged ? counted : null,
            Participant: locked));
        var visitCode = await db.Dispensings.Where(d => d.KitId == old.Id).Select(d => d.VisitCode).SingleAsync(cancellationToken);
        Hand(locked, kit, DispensingKind.Replacement, visitCode, replaces: old.Id);
        db.AuditAction("ReplaceKit", nameof(Kit), kit.Id.ToString(), new { KitCode = kit.Code, Replaces = old.Code, Reason = reason.ToString() }, locked.TrialId, locked.SiteId, locked.Id);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new(OperationResult.Success, new Dispensed(kit.Code, AlreadyDispensed: false));
    }


    private async Task<Participant> LockAsync(Guid participantId, CancellationToken cancellationToken) =>
        (await db.Participants.FromSql($"""SELECT * FROM "Participants" WHERE "Id" = {participantId} FOR UPDATE""").ToListAsync(cancellationToken)).Single();

    private void Hand(Participant participant, Kit kit, DispensingKind kind, string visitCode, Guid? replaces)
    {
        var now = clock.GetUtcNow();
        kit.State = KitState.Dispensed;
        kit.ParticipantId = participant.Id;
        kit.DispensedAt = now;
        kit.ReplacesKitId = replaces;
        ledger.Record(kit, participant.SiteId, KitEventKind.Dispensed, new KitEventDetails(Reason: $"{kind} at visit {visitCode}", Participant: participant));
        db.Dispensings.Add(new Dispensing
        {
            TrialId = participant.TrialId,
            SiteId = participant.SiteId,
            ParticipantId = participant.Id,
            KitId = kit.Id,
            KitCode = kit.Code,
            Kind = kind,
            VisitCode = visitCode,
            At = now,
            ByUserId = me.Id,
            ByName = me.DisplayName,
        });
    }
}
