using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Access;
using TrialManager.Domain.Safety;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Features.Notifications;
using TrialManager.Web.Features.Protocols;

namespace TrialManager.Web.Features.Safety;

/// <summary>
/// Looks at every running reporting clock now and then and tells the safety officers, once per clock and level,
/// when one is due soon or overdue (also the provisional deadline of a serious event still waiting for assessment).
/// The unique (event, clock, level) row makes "once" hold across app instances. Tests call <see cref="RunOnceAsync"/>.
/// </summary>
public sealed class SafetyClockMonitor(
    IServiceProvider services,
    TimeProvider clock,
    IConfiguration configuration,
    ILogger<SafetyClockMonitor> logger) : BackgroundService
{
    private static readonly AuditActor Actor = AuditActor.System("safety clock monitor");

    /// <summary>Raises the alerts due now; returns how many were raised.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        // Resolved here, not in the constructor: hosted services are built before the database endpoint is known.
        var dbFactory = services.GetRequiredService<IDbContextFactory<TrialDbContext>>();
        var protocols = services.GetRequiredService<TrialProtocols>();
        var notifier = services.GetRequiredService<Notifier>();
        var now = clock.GetUtcNow();
        List<EventStanding> standings;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var serious = db.AdverseEvents.Where(e => db.AdverseEventVersions.Any(v => v.AdverseEventId == e.Id && (v.Serious || v.SpecialInterestCode != null)));
            standings = [.. await SafetyOverview.LoadAsync(db, protocols, serious, cancellationToken)];
        }

        var raised = 0;
        foreach (var standing in standings)
        {
            foreach (var (key, what, start, due, _) in standing.Status.Watched)
            {
                var level = ReportingDeadline.State(start, due, null, now) switch
                {
                    ClockState.Overdue => AlertLevel.Overdue,
                    ClockState.DueSoon => AlertLevel.DueSoon,
                    _ => (AlertLevel?)null,
                };
                if (level is { } l && await TryRecordAsync(dbFactory, standing.Event, key, l, now, cancellationToken))
                {
                    raised++;
                    var local = SafetyDisplay.Due(due, standing.SiteZone);
                    var subject = l == AlertLevel.Overdue ? $"Overdue: {what} for {standing.Event.Number}" : $"Due soon: {what} for {standing.Event.Number}";
                    var body = $"{what} for {standing.Event.Number} ({standing.Current.ReportedTerm}) is due by {local}, site {standing.SiteCode}.";
                    await notifier.NotifyRolesAsync([TrialRoles.SafetyOfficer], subject, body, $"/adverse-events/{standing.Event.Id}", Actor, cancellationToken);
                }
            }
        }

        return raised;
    }

    private static async Task<bool> TryRecordAsync(IDbContextFactory<TrialDbContext> dbFactory, AdverseEvent adverseEvent, string key, AlertLevel level, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.SafetyAlerts.AnyAsync(a => a.AdverseEventId == adverseEvent.Id && a.ClockKey == key && a.Level == level, cancellationToken))
        {
            return false;
        }

        db.AuditActorOverride = Actor;
        db.SafetyAlerts.Add(new SafetyAlert
        {
            AdverseEventId = adverseEvent.Id,
            TrialId = adverseEvent.TrialId,
            SiteId = adverseEvent.SiteId,
            ParticipantId = adverseEvent.ParticipantId,
            ClockKey = key,
            Level = level,
            RaisedAt = now,
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException)
        {
            // Another instance raised the same alert first.
            return false;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var minutes = configuration.GetValue("TrialManager:SafetyClockCheckMinutes", 5);
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(Math.Max(1, minutes)));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Checking the safety reporting clocks failed; trying again at the next tick.");
            }
        }
    }
}
