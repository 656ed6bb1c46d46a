using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Access;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;

namespace TrialManager.Web.Features.Audit;

/// <summary>
/// Reads the audit trail for the views and the export, always through <see cref="ScopedAsync"/>: the data manager and
/// the administrator see every entry; the safety officer every entry that belongs to a site; site coordinators and
/// investigators only entries of their own sites. Entries without a site (user administration, sign-ins, trial set-up)
/// are for the data manager and the administrator only. Pages are bounded (<see cref="PageSize"/>), newest first,
/// keyed on the chain position so paging stays fast however long the trail grows.
/// </summary>
public sealed class SearchAuditTrail(TrialDbContext db, CurrentUser me)
{
    public const int PageSize = 50;

    /// <summary>An export larger than this is refused with a request to narrow the filter.</summary>
    public const int MaxExportRows = 100_000;

    private const int ExportBatch = 1_000;

    public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, long? OlderThan);

    public sealed record ParticipantAudit(Participant Participant, string SiteCode, AuditPage Page);

    public async Task<AuditPage> PageAsync(AuditFilter filter, long? before, CancellationToken cancellationToken = default)
    {
        var query = await QueryAsync(filter, cancellationToken);
        return await PageOfAsync(query, before, cancellationToken);
    }

    /// <summary>One participant's entries; null when there is no such participant or the user may not see them (404).</summary>
    public async Task<ParticipantAudit?> ForParticipantAsync(Guid participantId, long? before, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.ParticipantRecords);
        var sites = await me.VisibleSitesAsync(cancellationToken);
        var found = await db.Participants.AsNoTracking()
            .Join(sites, p => p.SiteId, s => s.Id, (p, s) => new { Participant = p, s.Code })
            .SingleOrDefaultAsync(x => x.Participant.Id == participantId, cancellationToken);
        if (found is null)
        {
            return null;
        }

        var query = (await ScopedAsync(cancellationToken)).Where(e => e.ParticipantId == participantId);
        return new ParticipantAudit(found.Participant, found.Code, await PageOfAsync(query, before, cancellationToken));
    }

    /// <summary>How many entries the filter matches, and the newest chain position among them (the export's snapshot).</summary>
    public async Task<(int Count, long UpTo)> MeasureAsync(AuditFilter filter, CancellationToken cancellationToken = default)
    {
        var query = await QueryAsync(filter, cancellationToken);
        var upTo = await query.MaxAsync(e => (long?)e.ChainSeq, cancellationToken) ?? 0;
        return (await query.CountAsync(cancellationToken), upTo);
    }

    /// <summary>The filtered entries up to <paramref name="upTo"/>, oldest first, read in batches (never all in memory).</summary>
    public async IAsyncEnumerable<AuditEntry> ExportAsync(AuditFilter filter, long upTo, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var query = await QueryAsync(filter, cancellationToken);
        long after = 0;
        while (true)
        {
            var from = after;
            var batch = await query.Where(e => e.ChainSeq > from && e.ChainSeq <= upTo).OrderBy(e => e.ChainSeq).Take(ExportBatch).ToListAsync(cancellationToken);
            foreach (var entry in batch)
            {
                yield return entry;
            }

            if (batch.Count < ExportBatch)
            {
                yield break;
            }

            after = batch[^1].ChainSeq;
        }
    }

    /// <summary>The entries this user may see, before any filter.</summary>
    public async Task<IQueryable<AuditEntry>> ScopedAsync(CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.AuditTrail);
        var all = db.AuditTrail.AsNoTracking();
        if (me.IsInRole(TrialRoles.Administrator) || me.IsInRole(TrialRoles.DataManager))
        {
            return all;
        }

        if (me.IsInRole(TrialRoles.SafetyOfficer))
        {
            return all.Where(e => e.SiteId != null);
        }

        var siteIds = (await me.MemberSiteIdsAsync(cancellationToken)).ToList();
        return all.Where(e => e.SiteId != null && siteIds.Contains(e.SiteId.Value));
    }

    private async Task<IQueryable<AuditEntry>> QueryAsync(AuditFilter filter, CancellationToken cancellationToken)
    {
        var query = await ScopedAsync(cancellationToken);
        if (filter.User is { Length: > 0 } user)
        {
            var pattern = "%" + LikeEscape(user) + "%";
            query = query.Where(e => e.UserId == user || EF.Functions.ILike(e.UserName, pattern));
        }

        if (filter.From is { } from)
        {
            var start = new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            query = query.Where(e => e.OccurredAt >= start);
        }

        // The last day has no next day to end before: up to 9999-12-31 means no upper bound.
        if (filter.To is { } to && to < DateOnly.MaxValue)
        {
            var end = new DateTimeOffset(to.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            query = query.Where(e => e.OccurredAt < end);
        }

        if (filter.Action is { Length: > 0 } action)
        {
            var pattern = LikeEscape(action);
            query = query.Where(e => EF.Functions.ILike(e.Action, pattern));
        }

        if (filter.EntityType is { Length: > 0 } type)
        {
            var pattern = LikeEscape(type);
            query = query.Where(e => EF.Functions.ILike(e.EntityType, pattern));
        }

        if (filter.EntityId is { Length: > 0 } id)
        {
            query = query.Where(e => e.EntityId == id);
        }

        if (filter.Participant is { Length: > 0 } participant)
        {
            if (Guid.TryParse(participant, out var participantId))
            {
                query = query.Where(e => e.ParticipantId == participantId);
            }
            else
            {
                // A number names a participant in each trial that uses it; only those at sites the user may see.
                var sites = await me.VisibleSitesAsync(cancellationToken);
                var ids = await db.Participants.Where(p => p.Number == participant)
                    .Join(sites, p => p.SiteId, s => s.Id, (p, _) => p.Id)
                    .ToListAsync(cancellationToken);
                query = query.Where(e => e.ParticipantId != null && ids.Contains(e.ParticipantId.Value));
            }
        }

        return query;
    }

    /// <summary>Typed text matched literally by ILIKE (its default escape character is the backslash).</summary>
    private static string LikeEscape(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    private static async Task<AuditPage> PageOfAsync(IQueryable<AuditEntry> query, long? before, CancellationToken cancellationToken)
    {
        if (before is { } older)
        {
            query = query.Where(e => e.ChainSeq < older);
        }

        var rows = await query.OrderByDescending(e => e.ChainSeq).Take(PageSize + 1).ToListAsync(cancellationToken);
        long? olderThan = null;
        if (rows.Count > PageSize)
        {
            rows.RemoveAt(PageSize);
            olderThan = rows[^1].ChainSeq;
        }

        return new AuditPage(rows, olderThan);
    }
}
