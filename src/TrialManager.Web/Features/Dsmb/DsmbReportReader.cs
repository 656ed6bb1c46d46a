using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Participants;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Features.Safety;

namespace TrialManager.Web.Features.Dsmb;

/// <summary>The data of a trial's DSMB reports and the trial they are of.</summary>
public sealed record DsmbSource(Guid TrialId, DsmbData Data)
{
    // The pooled report depends on the data alone, so one reading computes it once however many people open it.
    private readonly Lazy<DsmbReport> _open = new(() => DsmbReports.Open(Data));

    public DsmbReport OpenReport => _open.Value;
}

/// <summary>
/// Reads what the DSMB reports are computed from, for the whole trial (the roles that may see them see every site).
/// Reads no allocation and no kit's seal: the closed report adds arms apart, through the one place that opens them.
/// A reading is shared (<see cref="DsmbSourceCache"/>) until anything is written: the report is never older than the
/// last write, and its "data as of" says when it was read.
/// </summary>
public sealed class DsmbReportReader(TrialDbContext db, TrialProtocols protocols, TimeProvider clock, DsmbSourceCache cache)
{
    /// <summary>Prefix <see cref="EndParticipation"/> gives a withdrawal for loss to follow-up.</summary>
    private const string LostToFollowUpPrefix = "Lost to follow-up:";

    /// <summary>Null when there is no such trial.</summary>
    public async Task<DsmbSource?> ReadAsync(string trialCode, CancellationToken cancellationToken = default)
    {
        var trialId = await db.Trials.Where(t => t.Code == trialCode).Select(t => (Guid?)t.Id).SingleOrDefaultAsync(cancellationToken);
        if (trialId is not { } id)
        {
            return null;
        }

        return await cache.GetAsync(id, await DsmbSourceCache.LatestWriteAsync(db, cancellationToken), cancellationToken);
    }

    /// <summary>A fresh reading, for <see cref="DsmbSourceCache"/> (which runs it in a scope of its own).</summary>
    internal async Task<DsmbSource> ReadFreshAsync(Guid trialId, CancellationToken cancellationToken)
    {
        // One snapshot, so a shared reading is consistent in itself (no event counted whose participant was not read).
        await using var snapshot = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var trial = await db.Trials.AsNoTracking().SingleAsync(t => t.Id == trialId, cancellationToken);
        var (versionId, protocol) = await protocols.CurrentAsync(trialId, cancellationToken);
        var version = await db.ProtocolVersions.AsNoTracking().Where(v => v.Id == versionId).Select(v => v.Version).SingleAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var listGenerated = await db.RandomizationLists.AnyAsync(l => l.TrialId == trialId, cancellationToken);

        var participants = await db.Participants.AsNoTracking().Where(p => p.TrialId == trialId).OrderBy(p => p.Number).ToListAsync(cancellationToken);
        var siteIds = participants.Select(p => p.SiteId).Distinct().ToList();
        var trialSiteIds = db.TrialSites.Where(ts => ts.TrialId == trialId).Select(ts => ts.SiteId);
        var sites = await db.Sites.AsNoTracking().Where(s => trialSiteIds.Contains(s.Id) || siteIds.Contains(s.Id)).OrderBy(s => s.Code).ToListAsync(cancellationToken);
        var siteById = sites.ToDictionary(s => s.Id);
        var kits = await db.Dispensings.Where(d => d.TrialId == trialId).GroupBy(d => d.ParticipantId)
            .Select(g => new { ParticipantId = g.Key, Count = g.Count() })
            .ToDictionaryAsync(x => x.ParticipantId, x => x.Count, cancellationToken);
        var trialParticipants = db.Participants.Where(p => p.TrialId == trialId).Select(p => p.Id);
        var diaries = (await db.DiaryEntries.AsNoTracking().Where(d => trialParticipants.Contains(d.ParticipantId))
            .Select(d => new { d.ParticipantId, d.StudyDay, d.TookDose })
            .ToListAsync(cancellationToken))
            .ToLookup(d => d.ParticipantId);

        var rows = new List<DsmbParticipant>(participants.Count);
        foreach (var p in participants)
        {
            var site = siteById[p.SiteId];
            int? studyDay = null;
            if (p.RandomizedAt is { } randomizedAt)
            {
                // As the participant page: study day of the site's today, counted from the site's randomization date.
                var zone = TimeZoneInfo.FindSystemTimeZoneById(site.TimeZone);
                studyDay = VisitSchedule.StudyDay(SiteCalendar.LocalDate(randomizedAt, zone), SiteCalendar.LocalDate(now, zone));
            }

            var regimen = (await protocols.ForVersionAsync(p.ProtocolVersionId, cancellationToken)).Dosing;
            rows.Add(new DsmbParticipant(
                p.Id,
                site.Code,
                p.ConsentedOn,
                p.RandomizedAt,
                studyDay,
                regimen,
                diaries[p.Id].ToDictionary(d => d.StudyDay, d => d.TookDose),
                kits.GetValueOrDefault(p.Id),
                p.DrugDiscontinuedOn,
                p.WithdrawnOn,
                p.ConsentWithdrawnOn is not null,
                p.WithdrawalReason?.StartsWith(LostToFollowUpPrefix, StringComparison.Ordinal) == true));
        }

        var events = (await SafetyOverview.LoadAsync(db, protocols, db.AdverseEvents.Where(e => e.TrialId == trialId), cancellationToken))
            .Select(s => new DsmbEvent(s.Event.ParticipantId, s.Current.CodedTerm ?? s.Current.ReportedTerm, s.Current.Grade, s.Current.Serious))
            .ToList();

        var scoredForms = protocol.Forms.Where(f => f.Scores.Count > 0).Select(f => f.Code).ToList();
        var entries = await db.FormEntries.AsNoTracking()
            .Where(e => e.TrialId == trialId && e.Status == FormStatus.Complete && scoredForms.Contains(e.FormCode))
            .Select(e => new { e.ParticipantId, e.VisitCode, e.FormCode, e.ScoresJson })
            .ToListAsync(cancellationToken);
        var scores = entries
            .SelectMany(e => StoredScores.Read(e.ScoresJson).Select(s => new DsmbScore(e.ParticipantId, e.VisitCode, e.FormCode, s.Key, s.Value.Total)))
            .ToList();

        return new DsmbSource(trialId, new DsmbData(
            trial.Code,
            trial.Title,
            version,
            now,
            listGenerated,
            [.. sites.Select(s => s.Code)],
            protocol.Visits,
            protocol.Forms,
            rows,
            events,
            scores));
    }
}
