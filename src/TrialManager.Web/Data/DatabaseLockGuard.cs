using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using TrialManager.Web.Data.Audit;

namespace TrialManager.Web.Data;

/// <summary>A write to a locked trial's records, refused; nothing of the save was written.</summary>
public sealed class TrialLockedException(string trialCode, TrialLockLevel level)
    : InvalidOperationException($"The database of trial {trialCode} is {level.Words()}: {level.Meaning()} Nothing was saved.")
{
    public string TrialCode { get; } = trialCode;

    public TrialLockLevel Level { get; } = level;
}

/// <summary>
/// The backstop of the database lock: every save through <see cref="TrialDbContext"/> passes here inside its
/// transaction, so no operation, page, worker or command can write a locked trial's records, whether or not it checked
/// the lock itself. The trial rows are read FOR SHARE, so a lock being applied at the same moment waits for the save to
/// commit (or the save waits for the lock): a write never lands after the lock it raced.
/// </summary>
public static class DatabaseLockGuard
{
    /// <summary>What a lock does to each kind of record of a trial.</summary>
    public enum Rule
    {
        /// <summary>Not part of a trial's data (accounts, notifications, the vault's own records, ...): a lock leaves it alone.</summary>
        Unaffected,

        /// <summary>Trial data: frozen by a soft or a hard lock.</summary>
        Frozen,

        /// <summary>A data query: under soft lock an open query may be answered and closed, never raised.</summary>
        QueryClosable,

        /// <summary>A signature: under soft lock investigators still sign what is there; a hard lock stops that too.</summary>
        Signable,
    }

    /// <summary>Every entity type of the model, with what the lock does to it; a test fails when a new type is missing.</summary>
    public static IReadOnlyDictionary<Type, Rule> Rules { get; } = new Dictionary<Type, Rule>
    {
        // Accounts, sites and depots are shared across trials; the trial row itself carries the lock.
        [typeof(ApplicationUser)] = Rule.Unaffected,
        [typeof(IdentityRole)] = Rule.Unaffected,
        [typeof(IdentityUserRole<string>)] = Rule.Unaffected,
        [typeof(IdentityUserClaim<string>)] = Rule.Unaffected,
        [typeof(IdentityRoleClaim<string>)] = Rule.Unaffected,
        [typeof(IdentityUserLogin<string>)] = Rule.Unaffected,
        [typeof(IdentityUserToken<string>)] = Rule.Unaffected,
        [typeof(Site)] = Rule.Unaffected,
        [typeof(SiteMembership)] = Rule.Unaffected,
        [typeof(Depot)] = Rule.Unaffected,
        [typeof(Trial)] = Rule.Unaffected,
        [typeof(AuditEntry)] = Rule.Unaffected,
        [typeof(Notification)] = Rule.Unaffected,
        [typeof(OutboxEmail)] = Rule.Unaffected,

        // Safety duties outlive the lock: overdue-clock alerts, the sponsor's assessment and the expedited report of an
        // event already on file must still be recorded (a new event after lock goes to the sponsor's safety database).
        [typeof(SafetyAlert)] = Rule.Unaffected,
        [typeof(SafetyAssessment)] = Rule.Unaffected,
        [typeof(ExpeditedReport)] = Rule.Unaffected,

        // Reveals, list requests, the lock's own history and export records are about the data, not the data.
        [typeof(Unblinding)] = Rule.Unaffected,
        [typeof(ListAccessRequest)] = Rule.Unaffected,
        [typeof(DatabaseLockChange)] = Rule.Unaffected,
        [typeof(ExportRecord)] = Rule.Unaffected,

        [typeof(ProtocolVersion)] = Rule.Frozen,
        [typeof(TrialSite)] = Rule.Frozen,
        [typeof(TrialKey)] = Rule.Frozen,
        [typeof(TrialCounter)] = Rule.Frozen,
        [typeof(SealedRandomizationList)] = Rule.Frozen,
        [typeof(RandomizationSlot)] = Rule.Frozen,
        [typeof(StratumCursor)] = Rule.Frozen,
        [typeof(Participant)] = Rule.Frozen,
        [typeof(EligibilityAssessment)] = Rule.Frozen,
        [typeof(FormEntry)] = Rule.Frozen,
        [typeof(FormValue)] = Rule.Frozen,
        [typeof(VisitRecord)] = Rule.Frozen,
        [typeof(ProtocolDeviation)] = Rule.Frozen,
        [typeof(DiaryEntry)] = Rule.Frozen,
        [typeof(AdverseEvent)] = Rule.Frozen,
        [typeof(AdverseEventVersion)] = Rule.Frozen,
        [typeof(BlindingGuessRecord)] = Rule.Frozen,
        [typeof(Kit)] = Rule.Frozen,
        [typeof(Dispensing)] = Rule.Frozen,
        [typeof(KitLot)] = Rule.Frozen,
        [typeof(Shipment)] = Rule.Frozen,
        [typeof(ShipmentKit)] = Rule.Frozen,
        [typeof(KitLedgerEntry)] = Rule.Frozen,
        [typeof(KitDestruction)] = Rule.Frozen,
        [typeof(KitDestructionKit)] = Rule.Frozen,
        [typeof(DataQuery)] = Rule.QueryClosable,
        [typeof(Signature)] = Rule.Signable,
    };

    /// <summary>Whether a change of this kind may be made at this lock level.</summary>
    public static bool Allows(Rule rule, EntityState state, TrialLockLevel level) => level switch
    {
        TrialLockLevel.Open => true,
        TrialLockLevel.Soft => rule switch
        {
            Rule.Unaffected => true,
            Rule.QueryClosable => state == EntityState.Modified,
            Rule.Signable => state == EntityState.Added,
            _ => false,
        },
        _ => rule == Rule.Unaffected,
    };

    /// <summary>Throws <see cref="TrialLockedException"/> when a pending change touches a locked trial's records.</summary>
    /// <summary>Which trial each randomization list belongs to (immutable once the list exists).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, Guid> TrialOfList = new();

    internal static async Task CheckAsync(TrialDbContext db, CancellationToken cancellationToken)
    {
        var pending = new List<(EntityEntry Entry, Rule Rule, Guid? TrialId, Guid? ParticipantId, Guid? ListId)>();
        foreach (var entry in db.ChangeTracker.Entries())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified or EntityState.Deleted))
            {
                continue;
            }

            // A type missing from the table is treated as trial data: a forgotten classification fails closed.
            var rule = Rules.GetValueOrDefault(entry.Metadata.ClrType, Rule.Frozen);
            if (rule == Rule.Unaffected)
            {
                continue;
            }

            pending.Add((entry, rule, GuidOf(entry, "TrialId"), GuidOf(entry, "ParticipantId"), GuidOf(entry, "ListId")));
        }

        if (pending.Count == 0)
        {
            return;
        }

        // A record that names only its participant (a form value, a visit) usually travels with one that names both (its
        // form entry) or with the tracked participant: ask the database only for the rest, off the hot path of a save.
        var trialOfParticipant = db.ChangeTracker.Entries<Participant>().ToDictionary(e => e.Entity.Id, e => e.Entity.TrialId);
        foreach (var (_, _, trialId, participantId, _) in pending)
        {
            if (trialId is { } t && participantId is { } p)
            {
                trialOfParticipant[p] = t;
            }
        }

        var unknown = pending.Where(p => p.TrialId is null && p.ParticipantId is { } id && !trialOfParticipant.ContainsKey(id)).Select(p => p.ParticipantId!.Value).Distinct().ToList();
        if (unknown.Count > 0)
        {
            foreach (var (id, trial) in await db.Participants.AsNoTracking().Where(p => unknown.Contains(p.Id)).Select(p => new KeyValuePair<Guid, Guid>(p.Id, p.TrialId)).ToListAsync(cancellationToken))
            {
                trialOfParticipant[id] = trial;
            }
        }

        // A stratum cursor names only its list. A list belongs to one trial for ever, so that answer is kept: a
        // randomization then costs no extra query here.
        var viaList = pending.Where(p => p.TrialId is null && p.ParticipantId is null && p.ListId is { } l && !TrialOfList.ContainsKey(l)).Select(p => p.ListId!.Value).Distinct().ToList();
        if (viaList.Count > 0)
        {
            foreach (var (listId, trialId) in await db.RandomizationLists.AsNoTracking().Where(l => viaList.Contains(l.Id)).Select(l => new KeyValuePair<Guid, Guid>(l.Id, l.TrialId)).ToListAsync(cancellationToken))
            {
                TrialOfList[listId] = trialId;
            }
        }

        Guid? TrialOf(Guid? trialId, Guid? participantId, Guid? listId) =>
            trialId
            ?? (participantId is { } p && trialOfParticipant.TryGetValue(p, out var viaParticipant) ? viaParticipant : (Guid?)null)
            ?? (listId is { } l && TrialOfList.TryGetValue(l, out var viaOwnList) ? viaOwnList : (Guid?)null);
        var trialIds = pending.Select(p => TrialOf(p.TrialId, p.ParticipantId, p.ListId)).OfType<Guid>().Distinct().ToArray();
        if (trialIds.Length == 0)
        {
            return;
        }

        var locks = await db.Database
            .SqlQuery<TrialLockRow>($"""SELECT "Id", "Code", "LockLevel" FROM "Trials" WHERE "Id" = ANY({trialIds}) FOR SHARE""")
            .ToListAsync(cancellationToken);
        var levels = locks.ToDictionary(l => l.Id);
        foreach (var (entry, rule, trialId, participantId, listId) in pending)
        {
            if (TrialOf(trialId, participantId, listId) is { } key && levels.TryGetValue(key, out var row) && Enum.TryParse<TrialLockLevel>(row.LockLevel, out var level)
                && !Allows(rule, entry.State, level))
            {
                throw new TrialLockedException(row.Code, level);
            }
        }
    }

    private static Guid? GuidOf(EntityEntry entry, string name)
    {
        if (entry.Metadata.FindProperty(name) is null)
        {
            return null;
        }

        var property = entry.Property(name);
        return (entry.State == EntityState.Deleted ? property.OriginalValue : property.CurrentValue) as Guid?;
    }

    private sealed class TrialLockRow
    {
        public Guid Id { get; set; }

        public string Code { get; set; } = "";

        public string LockLevel { get; set; } = "";
    }
}
