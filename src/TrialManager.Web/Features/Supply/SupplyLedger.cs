using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Supply;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Supply;

/// <summary>What a kit event records beyond the kit and its kind.</summary>
public sealed record KitEventDetails(
    string Reason = "",
    int? Units = null,
    Participant? Participant = null,
    Guid? ShipmentId = null,
    Guid? DestructionId = null,
    string? Witness1UserId = null,
    string? Witness2UserId = null);

/// <summary>
/// Writes a site's accountability log (one <see cref="KitLedgerEntry"/> per kit event, in the same save as the kit's
/// change) and replays it through the domain's <see cref="KitLedger"/> for the running balance and reconciliation.
/// Every path that moves a kit at a site comes through <see cref="Record"/>, so the log and the kits cannot drift apart
/// without reconciliation saying so.
/// </summary>
public sealed class SupplyLedger(TrialDbContext db, TimeProvider clock)
{
    /// <summary>Adds the log line for an event on <paramref name="kit"/> at <paramref name="siteId"/>; saved with the caller's changes.</summary>
    public KitLedgerEntry Record(Kit kit, Guid siteId, KitEventKind kind, KitEventDetails? details = null)
    {
        details ??= new KitEventDetails();
        var actor = db.CurrentActor;
        var entry = new KitLedgerEntry
        {
            TrialId = kit.TrialId,
            SiteId = siteId,
            KitId = kit.Id,
            KitCode = kit.Code,
            Kind = kind,
            Units = details.Units,
            ParticipantId = details.Participant?.Id,
            ParticipantNumber = details.Participant?.Number ?? "",
            ShipmentId = details.ShipmentId,
            DestructionId = details.DestructionId,
            Reason = details.Reason,
            At = clock.GetUtcNow(),
            ByUserId = actor.UserId,
            ByName = actor.UserName,
            Witness1UserId = details.Witness1UserId,
            Witness2UserId = details.Witness2UserId,
        };
        db.KitLedger.Add(entry);
        return entry;
    }

    /// <summary>The site's log for the trial, oldest first.</summary>
    public async Task<List<KitLedgerEntry>> EntriesAsync(Guid trialId, Guid siteId, CancellationToken cancellationToken) =>
        await db.KitLedger.AsNoTracking()
            .Where(e => e.TrialId == trialId && e.SiteId == siteId)
            .OrderBy(e => e.Sequence)
            .ToListAsync(cancellationToken);

    /// <summary>The domain ledger rebuilt from stored entries: balances, kit records and every refusal.</summary>
    public static KitLedger Replay(int unitsPerKit, IEnumerable<KitLedgerEntry> entries) =>
        KitLedger.Replay(unitsPerKit, entries.Select(ToEvent));

    /// <summary>
    /// The log line by line with the units in the site's custody after each, replayed through the domain ledger's
    /// rules; a line those rules refuse carries the reason.
    /// </summary>
    public static List<(KitLedgerEntry Entry, int UnitsOnSiteAfter, string? Refusal)> Running(int unitsPerKit, IEnumerable<KitLedgerEntry> entries)
    {
        var replay = new KitLedger(unitsPerKit);
        var lines = new List<(KitLedgerEntry, int, string?)>();
        foreach (var entry in entries)
        {
            var result = replay.Apply(ToEvent(entry));
            lines.Add((entry, replay.UnitsOnSite, result.IsAccepted ? null : result.Message));
        }

        return lines;
    }

    public static KitEvent ToEvent(KitLedgerEntry e) => e.Kind switch
    {
        KitEventKind.Shipped => new KitShipped(e.KitCode),
        KitEventKind.Received => new KitReceived(e.KitCode, e.Units ?? 0),
        KitEventKind.Quarantined => new KitQuarantined(e.KitCode, e.Reason),
        KitEventKind.Released => new KitReleased(e.KitCode),
        KitEventKind.Dispensed => new KitDispensed(e.KitCode, e.ParticipantId?.ToString() ?? "", e.ByUserId, e.At),
        KitEventKind.Returned => new KitReturned(e.KitCode, e.Units ?? -1),
        KitEventKind.Lost => new KitLost(e.KitCode),
        KitEventKind.Damaged => new KitDamaged(e.KitCode, e.Units),
        KitEventKind.Expired => new KitExpired(e.KitCode),
        KitEventKind.Destroyed => new KitDestroyed(e.KitCode, e.Witness1UserId, e.Witness2UserId),
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.Kind, "Unknown kit event."),
    };

    /// <summary>
    /// Reconciles a site: the domain ledger's own findings, plus every kit whose stored state or units differ from what
    /// the log says (a write that bypassed the log).
    /// </summary>
    public async Task<SiteReconciliation> ReconcileAsync(Guid trialId, Guid siteId, int unitsPerKit, CancellationToken cancellationToken)
    {
        var entries = await EntriesAsync(trialId, siteId, cancellationToken);
        var ledger = Replay(unitsPerKit, entries);
        var report = ledger.Reconcile();
        var findings = report.Discrepancies.ToList();
        var kits = await db.Kits.AsNoTracking()
            .Where(k => k.TrialId == trialId && k.SiteId == siteId && k.State != KitState.AtDepot)
            .Select(k => new { k.Code, k.State, k.Units })
            .ToListAsync(cancellationToken);
        foreach (var kit in kits.OrderBy(k => k.Code, StringComparer.Ordinal))
        {
            var record = ledger.Find(kit.Code);
            if (record is null)
            {
                findings.Add(new Discrepancy(LedgerIssue.UnknownKit, kit.Code, $"Kit {kit.Code} is {kit.State} at the site, but the accountability log has no line for it."));
            }
            else if (record.State != kit.State || (LedgerTracksUnits(record.State) && record.Units != kit.Units))
            {
                findings.Add(new Discrepancy(LedgerIssue.CountMismatch, kit.Code, $"Kit {kit.Code}: the kit record says {kit.State} with {kit.Units} units, the log says {record.State} with {record.Units}."));
            }
        }

        return new SiteReconciliation(report.Balance, findings, entries, ledger);
    }

    private static bool LedgerTracksUnits(KitState state) => KitLedger.IsInCustody(state) || state == KitState.Dispensed;
}

/// <summary>A site's balance, what reconciliation found, the log it was built from and the replayed ledger.</summary>
public sealed record SiteReconciliation(UnitBalance Balance, IReadOnlyList<Discrepancy> Findings, IReadOnlyList<KitLedgerEntry> Entries, KitLedger Ledger)
{
    public bool IsReconciled => Findings.Count == 0;
}
