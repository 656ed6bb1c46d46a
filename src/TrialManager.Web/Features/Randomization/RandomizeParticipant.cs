using Microsoft.EntityFrameworkCore;
using Npgsql;
using TrialManager.Domain.Supply;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Sealing;

namespace TrialManager.Web.Features.Randomization;

/// <summary>
/// Randomizes one consented, eligible participant in a single transaction: the next slot of the participant's
/// stratum (strictly in order, under a row lock on the stratum's cursor), a kit of the matching arm from the site's
/// stock (at random among candidates, each taken under a row lock), the randomization number, the dispensing and the
/// audit entries. Safe with several app instances on one database; a second submit, a retry or a concurrent request
/// for the same participant returns the first assignment. If no slot or no matching kit is left, nothing is
/// recorded, the message is the same whatever the arm, and the data manager and safety officer are alerted.
/// See Features/Randomization/README.md.
/// </summary>
public sealed class RandomizeParticipant(
    TrialDbContext db,
    Sealer sealer,
    TrialProtocols protocols,
    KitStock stock,
    Supply.SupplyLedger ledger,
    ParticipantAccess access,
    CurrentUser me,
    TimeProvider clock,
    ILogger<RandomizeParticipant> logger)
{
    private const int Attempts = 5;

    public sealed record Assignment(string RandomizationNumber, string KitCode, DateTimeOffset At, bool AlreadyRandomized);

    public async Task<OperationResult<Assignment>> ExecuteAsync(Guid participantId, CancellationToken cancellationToken = default)
    {
        // The role first, before anything is read; the site is checked on the locked row (one query less per randomization).
        await me.DemandAsync(Policies.Randomize);

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await AttemptAsync(participantId, cancellationToken);
            }
            catch (SealBrokenException e)
            {
                // Tampering or a wrong master key: stop, record nothing, and tell the people who must act.
                db.ChangeTracker.Clear();
                var participant = await db.Participants.AsNoTracking().SingleAsync(p => p.Id == participantId, cancellationToken);
                return new(await stock.SealBrokenAsync(participant, "Randomization", e, cancellationToken), null);
            }
            catch (Exception e) when (attempt < Attempts && IsTransient(e))
            {
                // Deadlock, serialization failure or a lost race on a kit or a unique key: start again from the top.
                db.ChangeTracker.Clear();
                logger.LogInformation("Randomization of {ParticipantId} retried after a concurrency conflict (attempt {Attempt})", participantId, attempt);
            }
        }
    }

    private async Task<OperationResult<Assignment>> AttemptAsync(Guid participantId, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken);

        // Lock the participant first: concurrent requests for the same person queue here and then see the first result.
        var participant = (await db.Participants.FromSql($"""SELECT * FROM "Participants" WHERE "Id" = {participantId} FOR UPDATE""").ToListAsync(cancellationToken)).SingleOrDefault();
        await access.EnsureSiteAsync(participant, cancellationToken);
        if (participant.Status == ParticipantStatus.Randomized)
        {
            var kitCode = await db.Dispensings.Where(d => d.ParticipantId == participantId && d.Kind == DispensingKind.Randomization).Select(d => d.KitCode).SingleAsync(cancellationToken);
            return new(OperationResult.Success, new Assignment(participant.RandomizationNumber!, kitCode, participant.RandomizedAt!.Value, AlreadyRandomized: true));
        }

        var refusal = ReadyForRandomization(participant);
        if (refusal is not null)
        {
            return new(OperationResult.Fail("", refusal), null);
        }

        var list = await db.RandomizationLists.AsNoTracking().SingleOrDefaultAsync(l => l.TrialId == participant.TrialId, cancellationToken);
        if (list is null)
        {
            return new(OperationResult.Fail("", "This trial's randomization list has not been generated yet."), null);
        }

        var protocol = await protocols.ForVersionAsync(list.ProtocolVersionId, cancellationToken);
        var site = await db.Sites.AsNoTracking().SingleAsync(s => s.Id == participant.SiteId, cancellationToken);
        var stratum = ParticipantStratum.Key(protocol, site.Code, participant.StratumLevels, out var levelProblem);
        if (stratum is null)
        {
            return new(OperationResult.Fail("", levelProblem!), null);
        }

        // The stratum's cursor row lock serialises randomizations within one stratum and keeps slots strictly in order.
        var cursor = (await db.StratumCursors.FromSql($"""SELECT * FROM "StratumCursors" WHERE "ListId" = {list.Id} AND "StratumKey" = {stratum} FOR UPDATE""").ToListAsync(cancellationToken)).SingleOrDefault();
        var slot = cursor is null ? null : await db.RandomizationSlots.SingleOrDefaultAsync(s => s.ListId == list.Id && s.StratumKey == stratum && s.Number == cursor.NextNumber, cancellationToken);
        if (cursor is null || slot is null)
        {
            await transaction.RollbackAsync(cancellationToken);
            return new(await stock.UnavailableAsync(participant, "Randomization", "no slot left in the stratum", cancellationToken), null);
        }

        var arm = await sealer.OpenArmAsync(participant.TrialId, GenerateRandomizationList.SlotArm, slot.Id, slot.SealedArm, cancellationToken);
        var kit = await stock.TakeAsync(participant.TrialId, participant.SiteId, arm, protocol, cancellationToken, site.TimeZone);
        if (kit is null)
        {
            await transaction.RollbackAsync(cancellationToken);
            return new(await stock.UnavailableAsync(participant, "Randomization", "no kit of the allocated arm at the site", cancellationToken), null);
        }

        var now = clock.GetUtcNow();
        var number = await NextRandomizationNumberAsync(participant.TrialId, cancellationToken);
        cursor.NextNumber++;
        slot.ParticipantId = participant.Id;
        slot.AssignedAt = now;
        kit.State = KitState.Dispensed;
        kit.ParticipantId = participant.Id;
        kit.DispensedAt = now;
        ledger.Record(kit, participant.SiteId, KitEventKind.Dispensed, new Supply.KitEventDetails(Reason: "Randomization", Participant: participant));
        participant.Status = ParticipantStatus.Randomized;
        participant.RandomizationNumber = number;
        participant.RandomizedAt = now;
        participant.RandomizedBy = me.Id;
        participant.RandomizedByName = me.DisplayName;
        db.Dispensings.Add(new Dispensing
        {
            TrialId = participant.TrialId,
            SiteId = participant.SiteId,
            ParticipantId = participant.Id,
            KitId = kit.Id,
            KitCode = kit.Code,
            Kind = DispensingKind.Randomization,
            VisitCode = protocol.RandomizationVisit?.Code ?? "",
            At = now,
            ByUserId = me.Id,
            ByName = me.DisplayName,
        });
        db.AuditAction("Randomize", nameof(Participant), participant.Id.ToString(),
            new { RandomizationNumber = number, KitCode = kit.Code, Stratum = stratum, Slot = slot.Number },
            participant.TrialId, participant.SiteId, participant.Id);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Participant {ParticipantId} randomized as {RandomizationNumber} with kit {KitCode}", participant.Id, number, kit.Code);
        return new(OperationResult.Success, new Assignment(number, kit.Code, now, AlreadyRandomized: false));
    }

    private static string? ReadyForRandomization(Participant participant) => participant switch
    {
        { Status: ParticipantStatus.Withdrawn } => "This participant has withdrawn and cannot be randomized.",
        { Status: ParticipantStatus.ScreenFailed } => "This participant failed screening and cannot be randomized.",
        { ConsentedOn: null } => "Record the participant's consent before randomizing.",
        { EligibilityConfirmedAt: null } or { Status: not ParticipantStatus.Eligible } => "Complete the eligibility check before randomizing.",
        _ => null,
    };

    private async Task<string> NextRandomizationNumberAsync(Guid trialId, CancellationToken cancellationToken)
    {
        // Trial-wide and sequential: it tells the order of randomization, nothing about arms, strata or blocks.
        var value = await db.NextCounterValueAsync(trialId, "randomization-number", cancellationToken);
        return $"R{value:0000}";
    }

    private static bool IsTransient(Exception e) =>
        (e as PostgresException ?? e.InnerException as PostgresException) is { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.UniqueViolation };
}
