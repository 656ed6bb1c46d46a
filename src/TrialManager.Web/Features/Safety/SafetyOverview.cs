using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Safety;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Protocols;

namespace TrialManager.Web.Features.Safety;

/// <summary>An event with where it stands: its versions, the sponsor's assessments, submissions and derived clocks.</summary>
public sealed record EventStanding(
    AdverseEvent Event,
    string ParticipantNumber,
    string SiteCode,
    TimeZoneInfo SiteZone,
    IReadOnlyList<AdverseEventVersion> Versions,
    IReadOnlyList<SafetyAssessment> Assessments,
    IReadOnlyList<ExpeditedReport> Submissions,
    SafetyStatus Status)
{
    public AdverseEventVersion Current => Versions[^1];

    public SafetyAssessment? LatestAssessment => Assessments.Count == 0 ? null : Assessments[^1];
}

/// <summary>
/// Reads events the current user may see (through <see cref="SafetyAccess"/>) and evaluates their clocks. Listings,
/// the dashboard, the event page and the clock monitor all use this one reading, so they never disagree.
/// </summary>
public sealed class SafetyOverview(TrialDbContext db, SafetyAccess access, TrialProtocols protocols)
{
    /// <summary>The event, or null when there is none the user may see (the pages answer 404).</summary>
    public async Task<EventStanding?> FindAsync(Guid eventId, CancellationToken cancellationToken = default)
    {
        var events = await access.VisibleEventsAsync(cancellationToken);
        return (await LoadAsync(db, protocols, events.Where(e => e.Id == eventId), cancellationToken)).SingleOrDefault();
    }

    /// <summary>The event for an operation: one the user may not see is refused.</summary>
    public async Task<EventStanding> EventAsync(Guid eventId, CancellationToken cancellationToken = default) =>
        await FindAsync(eventId, cancellationToken) ?? throw new OperationForbiddenException("Not an adverse event this user may see.");

    /// <param name="participantId">Only this participant's events, when given.</param>
    public async Task<IReadOnlyList<EventStanding>> ListAsync(Guid? participantId = null, CancellationToken cancellationToken = default)
    {
        var events = await access.VisibleEventsAsync(cancellationToken);
        if (participantId is { } id)
        {
            events = events.Where(e => e.ParticipantId == id);
        }

        return await LoadAsync(db, protocols, events, cancellationToken);
    }

    /// <summary>
    /// The visible events whose current version is serious: the only ones that can have a deadline to watch (a site's
    /// prompt-report clock is met when the report arrives; the sponsor's clocks run only while the event is serious).
    /// The dashboard reads these, so its cost follows the serious events, not every event of the trial.
    /// </summary>
    public async Task<IReadOnlyList<EventStanding>> ListCurrentlySeriousAsync(CancellationToken cancellationToken = default)
    {
        var events = await access.VisibleEventsAsync(cancellationToken);
        return await LoadAsync(db, protocols, CurrentlySerious(db, events), cancellationToken);
    }

    private static IQueryable<AdverseEvent> CurrentlySerious(TrialDbContext db, IQueryable<AdverseEvent> events) =>
        events.Where(e => db.AdverseEventVersions.Any(v => v.AdverseEventId == e.Id && v.Version == e.CurrentVersion && v.Serious));

    /// <summary>One page of the visible events (by event number), optionally of one site and serious only: its rows, its number (clamped) and how many events there are.</summary>
    public async Task<(IReadOnlyList<EventStanding> Rows, int Page, int Total)> PageAsync(string? siteCode, bool seriousOnly, string? requestedPage, int pageSize, CancellationToken cancellationToken = default)
    {
        var events = await access.VisibleEventsAsync(cancellationToken);
        if (!string.IsNullOrEmpty(siteCode))
        {
            events = events.Where(e => db.Sites.Any(s => s.Id == e.SiteId && s.Code == siteCode));
        }

        if (seriousOnly)
        {
            events = CurrentlySerious(db, events);
        }

        var total = await events.CountAsync(cancellationToken);
        var page = Components.Shared.Paging.Clamp(requestedPage, total, pageSize);
        var slice = events.OrderBy(e => e.Number).ThenBy(e => e.Id).Skip((page - 1) * pageSize).Take(pageSize);
        return (await LoadAsync(db, protocols, slice, cancellationToken), page, total);
    }

    /// <summary>Loads and evaluates the given events; no access check (callers pass an already scoped query).</summary>
    public static async Task<IReadOnlyList<EventStanding>> LoadAsync(TrialDbContext db, TrialProtocols protocols, IQueryable<AdverseEvent> events, CancellationToken cancellationToken)
    {
        var rows = await events.AsNoTracking()
            .Join(db.Participants, e => e.ParticipantId, p => p.Id, (e, p) => new { Event = e, p.Number, p.ProtocolVersionId, p.SiteId })
            .Join(db.Sites, x => x.SiteId, s => s.Id, (x, s) => new { x.Event, x.Number, x.ProtocolVersionId, SiteCode = s.Code, s.TimeZone })
            .OrderBy(x => x.Event.Number)
            .ToListAsync(cancellationToken);
        var ids = rows.Select(r => r.Event.Id).ToList();
        var versions = (await db.AdverseEventVersions.AsNoTracking().Where(v => ids.Contains(v.AdverseEventId)).OrderBy(v => v.Version).ToListAsync(cancellationToken))
            .ToLookup(v => v.AdverseEventId);
        var assessments = (await db.SafetyAssessments.AsNoTracking().Where(a => ids.Contains(a.AdverseEventId)).OrderBy(a => a.AssessedAt).ToListAsync(cancellationToken))
            .ToLookup(a => a.AdverseEventId);
        var submissions = (await db.ExpeditedReports.AsNoTracking().Where(r => ids.Contains(r.AdverseEventId)).OrderBy(r => r.SubmittedAt).ToListAsync(cancellationToken))
            .ToLookup(r => r.AdverseEventId);

        var standings = new List<EventStanding>(rows.Count);
        foreach (var row in rows)
        {
            var protocol = await protocols.ForVersionAsync(row.ProtocolVersionId, cancellationToken);
            var zone = TimeZoneInfo.FindSystemTimeZoneById(row.TimeZone);
            var eventVersions = versions[row.Event.Id].ToList();
            var eventAssessments = assessments[row.Event.Id].ToList();
            var eventSubmissions = submissions[row.Event.Id].ToList();
            var status = SafetyStatus.Evaluate(
                [.. eventVersions.Select(v => v.ToReceived())],
                eventAssessments.LastOrDefault()?.ToDomain(),
                [.. eventSubmissions.Select(s => new SubmittedExpeditedReport(s.CoversVersion, s.SubmittedAt))],
                protocol.Safety,
                zone);
            standings.Add(new EventStanding(row.Event, row.Number, row.SiteCode, zone, eventVersions, eventAssessments, eventSubmissions, status));
        }

        return standings;
    }
}
