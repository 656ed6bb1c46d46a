using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Access;
using TrialManager.Domain.Participants;
using TrialManager.Domain.Supply;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Notifications;
using TrialManager.Web.Sealing;

namespace TrialManager.Web.Features.Randomization;

/// <summary>
/// Takes a kit of a given arm from a site's usable stock, and reports when none can be had, the same way whatever the
/// arm. The arm comes from the sealed service only (a slot or a kit opened in memory) and never leaves this class.
/// </summary>
public sealed class KitStock(TrialDbContext db, Sealer sealer, Notifier notifier, TimeProvider clock, ILogger<KitStock> logger)
{
    /// <summary>One wording for every way allocation can be unavailable, so the message says nothing about the arm.</summary>
    public const string UnavailableMessage =
        "No allocation is available for this participant at this site at the moment. Nothing was recorded. " +
        "The data manager and the safety officer have been alerted.";

    /// <summary>
    /// A kit of <paramref name="arm"/> at the site, locked for this transaction, among those still dispensable today in
    /// the site's calendar (the protocol's expiry margin). The lot is chosen without regard to the arm: the
    /// earliest-expiring lot that still holds a dispensable kit of every arm, so a kit's lot and expiry date say
    /// nothing about its arm. Only when no lot holds every arm any more does it fall back to the earliest lot holding
    /// this arm (the site is then short and the resupply check is already shipping). Within the lot the kit is random.
    /// Candidates are taken one at a time under a row lock that skips kits another transaction is taking.
    /// </summary>
    public async Task<Kit?> TakeAsync(Guid trialId, Guid siteId, string arm, Domain.Protocols.Protocol protocol, CancellationToken cancellationToken, string? siteTimeZone = null)
    {
        var zone = siteTimeZone ?? await db.Sites.Where(s => s.Id == siteId).Select(s => s.TimeZone).SingleAsync(cancellationToken);
        var today = SiteCalendar.LocalDate(clock.GetUtcNow(), TimeZoneInfo.FindSystemTimeZoneById(zone));
        var usableAfter = today.AddDays(protocol.Kits.ExpiryMarginDays);
        var stock = await db.Kits.AsNoTracking()
            .Where(k => k.TrialId == trialId && k.SiteId == siteId && k.State == KitState.AtSite && k.ExpiresOn > usableAfter)
            .Select(k => new { k.Id, k.SealedArm, k.ExpiresOn, k.LotId })
            .ToListAsync(cancellationToken);
        var arms = await sealer.OpenArmsAsync(trialId, GenerateRandomizationList.KitArm, stock.Select(k => (k.Id, k.SealedArm)), cancellationToken);
        var allArms = protocol.Arms.Select(a => a.Code).ToHashSet(StringComparer.Ordinal);
        var lots = stock.GroupBy(k => (k.LotId, k.ExpiresOn))
            .Select(g => (Lot: g.Key, Complete: allArms.SetEquals(g.Select(k => arms[k.Id])), Kits: g.Where(k => arms[k.Id] == arm).Select(k => k.Id).ToList()))
            .Where(g => g.Kits.Count > 0)
            .OrderByDescending(g => g.Complete).ThenBy(g => g.Lot.ExpiresOn).ThenBy(g => g.Lot.LotId)
            .ToList();
        foreach (var lot in lots)
        {
            var candidates = lot.Kits;
            RandomNumberGenerator.Shuffle(CollectionsMarshal.AsSpan(candidates));
            foreach (var id in candidates)
            {
                var taken = (await db.Kits.FromSql($"""SELECT * FROM "Kits" WHERE "Id" = {id} AND "State" = 'AtSite' FOR UPDATE SKIP LOCKED""").ToListAsync(cancellationToken)).SingleOrDefault();
                if (taken is not null)
                {
                    return taken;
                }
            }
        }

        return null;
    }

    /// <summary>The participant's allocated arm, opened from their slot (never shown; used only to match kits).</summary>
    public async Task<string> AllocatedArmAsync(Participant participant, CancellationToken cancellationToken)
    {
        var slot = await db.RandomizationSlots.AsNoTracking().SingleAsync(s => s.ParticipantId == participant.Id, cancellationToken);
        return await sealer.OpenArmAsync(participant.TrialId, GenerateRandomizationList.SlotArm, slot.Id, slot.SealedArm, cancellationToken);
    }

    public const string SealBrokenMessage =
        "The sealed randomization data failed its integrity check, so nothing was done. The safety officer and the data " +
        "manager have been alerted; do not retry until they have checked the trial's list.";

    /// <summary>A sealed value would not open (tampering or a wrong master key): alert, and refuse without detail.</summary>
    public async Task<OperationResult> SealBrokenAsync(Participant participant, string action, SealBrokenException e, CancellationToken cancellationToken)
    {
        logger.LogError("{Action} for participant {ParticipantId} stopped: {Problem}", action, participant.Id, e.Message);
        db.ChangeTracker.Clear();
        db.AuditAction("SealBroken", nameof(Participant), participant.Id.ToString(), new { Action = action, Problem = e.Message }, participant.TrialId, participant.SiteId, participant.Id);
        await db.SaveChangesAsync(cancellationToken);
        await notifier.NotifyRolesAsync(
            [TrialRoles.SafetyOfficer, TrialRoles.DataManager],
            "Sealed randomization data failed its integrity check",
            $"'{action}' for participant {participant.Number} stopped because a sealed value would not open: {e.Message} Verify the list on the trial page.",
            $"/participants/{participant.Id}",
            db.CurrentActor,
            cancellationToken);
        return OperationResult.Fail("", SealBrokenMessage);
    }

    /// <summary>
    /// Records that an allocation could not be made (in its own save, after the caller rolled back), alerts the data
    /// manager and safety officer, and returns the arm-neutral message. The cause goes to the log only.
    /// </summary>
    public async Task<OperationResult> UnavailableAsync(Participant participant, string action, string cause, CancellationToken cancellationToken)
    {
        logger.LogWarning("{Action} blocked for participant {ParticipantId} at site {SiteId}: {Cause}", action, participant.Id, participant.SiteId, cause);
        db.ChangeTracker.Clear();
        db.AuditAction($"{action}Blocked", nameof(Participant), participant.Id.ToString(), new { Message = "No allocation available at the site" }, participant.TrialId, participant.SiteId, participant.Id);
        await db.SaveChangesAsync(cancellationToken);
        await notifier.NotifyRolesAsync(
            [TrialRoles.DataManager, TrialRoles.SafetyOfficer],
            $"{action} blocked for {participant.Number}",
            $"Site staff could not complete '{action}' for participant {participant.Number}: no allocation is available at the site. Check the site's kit stock and the randomization list.",
            $"/participants/{participant.Id}",
            db.CurrentActor,
            cancellationToken);
        return OperationResult.Fail("", UnavailableMessage);
    }
}
