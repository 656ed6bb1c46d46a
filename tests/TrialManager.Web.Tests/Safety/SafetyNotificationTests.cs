using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Safety;
using TrialManager.Web.Tests.Account;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Safety;

/// <summary>Who is told about serious events, and the clock monitor's due-soon and overdue alerts, each raised once.</summary>
public class SafetyNotificationTests(TrialApp app) : IClassFixture<TrialApp>
{
    private static readonly string[] SiteStaffAndOthers = ["coordinator", "investigator", "coordinator.bos", "investigator.bos", "datamanager", "dsmb", "admin", "depot"];

    private Task<List<Notification>> NotificationsAboutAsync(Guid eventId) =>
        app.WithDbAsync(db => db.Notifications.AsNoTracking().Where(n => n.Link == $"/adverse-events/{eventId}").OrderBy(n => n.CreatedAt).ToListAsync());

    [Fact]
    public async Task A_new_serious_event_notifies_the_safety_officer_and_nobody_at_the_site()
    {
        var participant = await app.RegisterParticipantAsync("coordinator");
        var serious = await app.ReportAsync("coordinator", participant.Id, app.Serious("LON", "Seizure"));
        var ordinary = await app.ReportAsync("coordinator", participant.Id, app.NonSerious("LON", "Nausea"));

        var safetyId = await app.UserIdAsync("safety");
        var notice = Assert.Single(await NotificationsAboutAsync(serious.Id));
        Assert.Equal(safetyId, notice.UserId);
        Assert.Equal($"Serious adverse event {serious.Number}", notice.Subject);
        Assert.Contains("Seizure, grade 3", notice.Body, StringComparison.Ordinal);
        Assert.Contains("Casey Coordinator", notice.Body, StringComparison.Ordinal);
        foreach (var local in SiteStaffAndOthers)
        {
            var userId = await app.UserIdAsync(local);
            Assert.Equal(0, await app.WithDbAsync(db => db.Notifications.CountAsync(n => n.UserId == userId && n.Link.StartsWith("/adverse-events/"))));
        }

        Assert.Empty(await NotificationsAboutAsync(ordinary.Id));

        // The safety officer sees it in the inbox, with a link to the event; the coordinator's inbox has nothing of it.
        using (var safety = await app.SignedInAsync("safety"))
        {
            var inbox = await safety.GetAsync("/inbox");
            Assert.Contains($"Serious adverse event {serious.Number}", inbox.TestId("inbox"), StringComparison.Ordinal);
            Assert.Contains($"/adverse-events/{serious.Id}", inbox.Links);
        }

        using var coordinator = await app.SignedInAsync("coordinator");
        Assert.DoesNotContain(serious.Number, (await coordinator.GetAsync("/inbox")).Text, StringComparison.Ordinal);

        // A follow-up of the serious event tells the safety officer again, as version 2.
        await app.FollowUpAsync("investigator", serious.Id, await app.FollowUpOfAsync(serious.Id, "Discharged home."));
        var notices = await NotificationsAboutAsync(serious.Id);
        Assert.Equal(2, notices.Count);
        Assert.All(notices, n => Assert.Equal(safetyId, n.UserId));
        Assert.Equal($"Follow-up 2 of serious adverse event {serious.Number}", notices[1].Subject);
    }

    [Fact]
    public async Task The_clock_monitor_raises_due_soon_then_overdue_once_each_and_nothing_for_a_non_serious_event()
    {
        var monitor = app.Services.GetRequiredService<SafetyClockMonitor>();
        var participant = await app.RegisterParticipantAsync("coordinator");
        var serious = await app.ReportAsync("coordinator", participant.Id, app.Serious("LON", "Syncope"));
        var ordinary = await app.ReportAsync("coordinator", participant.Id, app.NonSerious("LON", "Fatigue"));
        var receivedAt = await app.WithDbAsync(db => db.AdverseEventVersions.Where(v => v.AdverseEventId == serious.Id).Select(v => v.ReceivedAt).SingleAsync());

        // Waiting for the sponsor's assessment: the deadline it would have as a SUSAR (15 calendar days in London).
        var standing = await app.AsUserAsync("safety", s => s.GetRequiredService<SafetyOverview>().EventAsync(serious.Id));
        var due = standing.Status.ProvisionalDueAt ?? throw new Xunit.Sdk.XunitException("No provisional deadline");
        var receivedDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(receivedAt, SafetyScenario.London).DateTime);
        var localDue = TimeZoneInfo.ConvertTime(due, SafetyScenario.London);
        Assert.Equal(receivedDay.AddDays(16), DateOnly.FromDateTime(localDue.DateTime));
        Assert.Equal(TimeSpan.Zero, localDue.TimeOfDay);

        var notifiedBefore = (await NotificationsAboutAsync(serious.Id)).Count;
        await monitor.RunOnceAsync();
        Assert.Equal(0, await AlertCountAsync(serious.Id));

        // A quarter of the allowance left: due soon, told once however often the monitor runs.
        app.Clock.Advance(due - TimeSpan.FromTicks((due - receivedAt).Ticks / 4) + TimeSpan.FromMinutes(1) - app.Clock.GetUtcNow());
        Assert.True(await monitor.RunOnceAsync() >= 1);
        await monitor.RunOnceAsync();
        var alerts = await AlertsAsync(serious.Id);
        var dueSoon = Assert.Single(alerts);
        Assert.Equal(AlertLevel.DueSoon, dueSoon.Level);
        Assert.Equal("Assessment:1", dueSoon.ClockKey);
        var told = (await NotificationsAboutAsync(serious.Id)).Skip(notifiedBefore).ToList();
        var dueSoonNotice = Assert.Single(told);
        Assert.Equal($"Due soon: Sponsor's assessment for {serious.Number}", dueSoonNotice.Subject);
        Assert.Equal(await app.UserIdAsync("safety"), dueSoonNotice.UserId);
        Assert.True(SafetyScenario.ShowsLocalDeadline(dueSoonNotice.Body, receivedDay.AddDays(16)), dueSoonNotice.Body);
        Assert.Contains("LON", dueSoonNotice.Body, StringComparison.Ordinal);

        // Past the deadline: overdue, once.
        app.Clock.Advance(due + TimeSpan.FromMinutes(1) - app.Clock.GetUtcNow());
        await monitor.RunOnceAsync();
        await monitor.RunOnceAsync();
        alerts = await AlertsAsync(serious.Id);
        Assert.Equal([AlertLevel.DueSoon, AlertLevel.Overdue], alerts.Select(a => a.Level));
        told = (await NotificationsAboutAsync(serious.Id)).Skip(notifiedBefore).ToList();
        Assert.Equal(2, told.Count);
        Assert.Equal($"Overdue: Sponsor's assessment for {serious.Number}", told[1].Subject);

        // The dashboard agrees.
        using (var safety = await app.SignedInAsync("safety"))
        {
            var dashboard = await safety.GetAsync("/safety");
            Assert.Single(dashboard.RowsMentioning("safety-overdue", serious.Number));
        }

        // The non-serious event has no clock at all.
        Assert.Equal(0, await AlertCountAsync(ordinary.Id));
        Assert.Empty(await NotificationsAboutAsync(ordinary.Id));
        Assert.Empty(await app.WithDbAsync(db => db.Notifications.Where(n => n.Subject.Contains(ordinary.Number)).Select(n => n.Subject).ToListAsync()));
    }

    [Fact]
    public async Task The_clock_monitor_alerts_on_the_expedited_clock_of_a_SUSAR_and_stops_once_it_is_reported()
    {
        var monitor = app.Services.GetRequiredService<SafetyClockMonitor>();
        var participant = await app.RegisterParticipantAsync("coordinator");
        var input = app.Serious("LON", "Respiratory arrest");
        input.Grade = "4";
        input.SeriousnessCriteria = ["life_threatening", "hospitalization"];
        var susar = await app.ReportAsync("coordinator", participant.Id, input);
        Assert.True(await app.AssessAsync(susar.Id, "PossiblyRelated", expected: false));

        var standing = await app.AsUserAsync("safety", s => s.GetRequiredService<SafetyOverview>().EventAsync(susar.Id));
        var clock = Assert.Single(standing.Status.OpenClocks);
        Assert.Equal(TrialManager.Domain.Safety.ClockKind.ExpeditedInitial, clock.Kind);
        var receivedDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.StartedAt, SafetyScenario.London).DateTime);
        Assert.Equal(receivedDay.AddDays(8), DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.DueAt, SafetyScenario.London).DateTime));

        app.Clock.Advance(clock.DueAt - TimeSpan.FromHours(12) - app.Clock.GetUtcNow());
        await monitor.RunOnceAsync();
        await monitor.RunOnceAsync();
        var alert = Assert.Single(await AlertsAsync(susar.Id));
        Assert.Equal((AlertLevel.DueSoon, "ExpeditedInitial:1"), (alert.Level, alert.ClockKey));
        Assert.Single(await app.WithDbAsync(db => db.Notifications.Where(n => n.Subject == $"Due soon: Expedited SUSAR report for {susar.Number}").ToListAsync()));

        // Reported in time: no overdue alert, however late the monitor looks again.
        await app.RecordExpeditedAsync(susar.Id, "EV-SUSAR-7D");
        app.Clock.Advance(TimeSpan.FromDays(2));
        await monitor.RunOnceAsync();
        Assert.Single(await AlertsAsync(susar.Id));
    }

    private Task<List<SafetyAlert>> AlertsAsync(Guid eventId) =>
        app.WithDbAsync(db => db.SafetyAlerts.AsNoTracking().Where(a => a.AdverseEventId == eventId).OrderBy(a => a.RaisedAt).ToListAsync());

    private Task<int> AlertCountAsync(Guid eventId) => app.WithDbAsync(db => db.SafetyAlerts.CountAsync(a => a.AdverseEventId == eventId));
}
