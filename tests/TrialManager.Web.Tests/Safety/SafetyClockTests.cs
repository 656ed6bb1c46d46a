using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Web.Features.Safety;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Safety;

/// <summary>
/// The reporting clocks end to end: reported, assessed, submitted and followed up through the operations on the
/// fake clock, and read back from the event page and the safety dashboard.
/// </summary>
public class SafetyClockTests(TrialApp app) : IClassFixture<TrialApp>
{
    [Fact]
    public async Task A_serious_event_learned_of_at_23_59_in_Boston_runs_its_clocks_in_Boston_days()
    {
        var participant = await app.RegisterParticipantAsync("coordinator.bos");

        // 23:59 on day D in New York is already day D+1 in UTC: the calendar-day clocks must count from D.
        var day = app.LocalToday(SafetyScenario.NewYork).AddDays(1);
        var reportedAt = app.MoveClockTo(day, new TimeOnly(23, 59), SafetyScenario.NewYork);
        Assert.Equal(DateOnly.FromDateTime(reportedAt.UtcDateTime), day.AddDays(1));
        var input = app.Serious("BOS", "Seizure");
        input.Onset = SafetyScenario.Iso(day);
        input.AwareDate = SafetyScenario.Iso(day);
        input.AwareTime = "23:59";
        var adverseEvent = await app.ReportAsync("coordinator.bos", participant.Id, input);
        var version = await app.WithDbAsync(db => db.AdverseEventVersions.AsNoTracking().SingleAsync(v => v.AdverseEventId == adverseEvent.Id));
        Assert.Equal(reportedAt, version.SiteAwareAt);
        Assert.Equal(reportedAt, version.ReceivedAt);

        // Not yet assessed: if it is a SUSAR (15 days, not fatal or life-threatening), day 0 is D in Boston.
        var zone = SafetyScenario.NewYork;
        var expeditedDue = day.AddDays(16);
        var utcReckoned = SafetyScenario.StartOfLocalDay(day.AddDays(17), zone).UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
        app.Clock.Advance(TimeSpan.FromHours(2));
        using (var safety = await app.SignedInAsync("safety"))
        {
            var page = await safety.GetAsync($"/adverse-events/{adverseEvent.Id}");
            var provisional = page.TestId("ae-provisional");
            SafetyScenario.AssertShowsDeadline(provisional, expeditedDue, zone);
            Assert.False(SafetyScenario.ShowsLocalDeadline(page.Text, day.AddDays(17)), "the deadline was reckoned from the UTC date");
            Assert.DoesNotContain(utcReckoned, page.Html, StringComparison.Ordinal);
            Assert.Contains("Waiting for the sponsor's assessment", page.TestId("ae-flags"), StringComparison.Ordinal);

            // The site's own clock is 24 hours elapsed: due at 23:59 the next day, met when the report arrived.
            var siteClock = Assert.Single(page.RowsMentioning("ae-clocks", "Site report to sponsor (version 1)"));
            Assert.Contains($"{SafetyScenario.Iso(day.AddDays(1))} 23:59 UTC-05:00", siteClock, StringComparison.Ordinal);
            Assert.Contains("Met", siteClock, StringComparison.Ordinal);

            var dashboard = await safety.GetAsync("/safety");
            var awaiting = Assert.Single(dashboard.RowsMentioning("safety-awaiting", adverseEvent.Number));
            SafetyScenario.AssertShowsDeadline(awaiting, expeditedDue, zone);
            Assert.Contains("BOS", awaiting, StringComparison.Ordinal);
            Assert.DoesNotContain(utcReckoned, dashboard.Html, StringComparison.Ordinal);
            Assert.False(SafetyScenario.ShowsLocalDeadline(dashboard.Text, day.AddDays(17)), "the deadline was reckoned from the UTC date");
            Assert.Empty(dashboard.RowsMentioning("safety-running", adverseEvent.Number));
        }

        // The sponsor assesses it a day later as a SUSAR (unexpected term, related): the expedited clock still counts from receipt.
        app.Clock.Advance(TimeSpan.FromDays(1));
        Assert.True(await app.AssessAsync(adverseEvent.Id, "Related", expected: false));
        using (var safety = await app.SignedInAsync("safety"))
        {
            var page = await safety.GetAsync($"/adverse-events/{adverseEvent.Id}");
            Assert.Contains("SUSAR", page.TestId("ae-flags"), StringComparison.Ordinal);
            Assert.Null(page.Document.QuerySelector("[data-testid=ae-provisional]"));
            var expedited = Assert.Single(page.RowsMentioning("ae-clocks", "Expedited SUSAR report"));
            SafetyScenario.AssertShowsDeadline(expedited, expeditedDue, zone);
            Assert.Contains("Running", expedited, StringComparison.Ordinal);
            Assert.Contains("Record an expedited report", page.Text, StringComparison.Ordinal);

            var dashboard = await safety.GetAsync("/safety");
            var running = Assert.Single(dashboard.RowsMentioning("safety-running", adverseEvent.Number));
            Assert.Contains("Expedited SUSAR report", running, StringComparison.Ordinal);
            SafetyScenario.AssertShowsDeadline(running, expeditedDue, zone);
            Assert.Empty(dashboard.RowsMentioning("safety-awaiting", adverseEvent.Number));

            var listing = await safety.GetAsync("/adverse-events");
            var row = Assert.Single(listing.RowsMentioning("ae-list", adverseEvent.Number));
            Assert.Contains("SUSAR", row, StringComparison.Ordinal);
            Assert.True(SafetyScenario.ShowsLocalDeadline(row, expeditedDue), row);
        }

        // Recording the expedited report stops the clock.
        app.Clock.Advance(TimeSpan.FromDays(2));
        await app.RecordExpeditedAsync(adverseEvent.Id, "EV-SUSAR-0001");
        var standing = await app.AsUserAsync("safety", s => s.GetRequiredService<SafetyOverview>().EventAsync(adverseEvent.Id));
        Assert.Empty(standing.Status.OpenClocks);
        using (var safety = await app.SignedInAsync("safety"))
        {
            var page = await safety.GetAsync($"/adverse-events/{adverseEvent.Id}");
            var expedited = Assert.Single(page.RowsMentioning("ae-clocks", "Expedited SUSAR report"));
            Assert.Contains("Met", expedited, StringComparison.Ordinal);
            Assert.DoesNotContain("Met late", expedited, StringComparison.Ordinal);
            Assert.Contains("EV-SUSAR-0001: covers version 1", page.Text, StringComparison.Ordinal);

            var dashboard = await safety.GetAsync("/safety");
            Assert.Empty(dashboard.RowsMentioning("safety-running", adverseEvent.Number));
            Assert.Empty(dashboard.RowsMentioning("safety-due-soon", adverseEvent.Number));
            Assert.Empty(dashboard.RowsMentioning("safety-overdue", adverseEvent.Number));
        }

        // New information after the submission starts a follow-up clock of 15 days from when the sponsor has it.
        app.Clock.Advance(TimeSpan.FromDays(1));
        var followUpDay = app.LocalToday(SafetyScenario.NewYork);
        var followUp = await app.FollowUpOfAsync(adverseEvent.Id, "Discharged; EEG normal.");
        await app.FollowUpAsync("coordinator.bos", adverseEvent.Id, followUp);
        standing = await app.AsUserAsync("safety", s => s.GetRequiredService<SafetyOverview>().EventAsync(adverseEvent.Id));
        var open = Assert.Single(standing.Status.OpenClocks);
        Assert.Equal(TrialManager.Domain.Safety.ClockKind.ExpeditedFollowUp, open.Kind);
        Assert.Equal(2, open.Version);
        var followUpDue = followUpDay.AddDays(16);
        using (var safety = await app.SignedInAsync("safety"))
        {
            var page = await safety.GetAsync($"/adverse-events/{adverseEvent.Id}");
            var clock = Assert.Single(page.RowsMentioning("ae-clocks", "Expedited follow-up report (version 2)"));
            SafetyScenario.AssertShowsDeadline(clock, followUpDue, zone);
            Assert.Contains("Running", clock, StringComparison.Ordinal);
            Assert.Contains("Met", Assert.Single(page.RowsMentioning("ae-clocks", "Expedited SUSAR report")), StringComparison.Ordinal);

            var dashboard = await safety.GetAsync("/safety");
            var running = Assert.Single(dashboard.RowsMentioning("safety-running", adverseEvent.Number));
            Assert.Contains("Expedited follow-up report (version 2)", running, StringComparison.Ordinal);
            SafetyScenario.AssertShowsDeadline(running, followUpDue, zone);
        }
    }

    [Fact]
    public async Task A_serious_event_assessed_as_not_a_SUSAR_has_no_expedited_clock()
    {
        var participant = await app.RegisterParticipantAsync("coordinator");
        var adverseEvent = await app.ReportAsync("coordinator", participant.Id, app.Serious("LON", "Headache"));
        Assert.False(await app.AssessAsync(adverseEvent.Id, "NotRelated", expected: true));

        var standing = await app.AsUserAsync("safety", s => s.GetRequiredService<SafetyOverview>().EventAsync(adverseEvent.Id));
        Assert.False(standing.Status.IsSusar);
        Assert.False(standing.Status.AwaitingAssessment);
        Assert.Null(standing.Status.ProvisionalDueAt);
        Assert.Empty(standing.Status.OpenClocks);

        var refused = await app.AsUserAsync("safety", s => s.GetRequiredService<RecordExpeditedReport>().ExecuteAsync(adverseEvent.Id, new ExpeditedReportInput
        {
            SubmittedAt = app.Clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm", System.Globalization.CultureInfo.InvariantCulture),
            Reference = "EV-NOT-A-SUSAR",
        }));
        Assert.False(refused.Succeeded);
        Assert.Equal(0, await app.WithDbAsync(db => db.ExpeditedReports.CountAsync(r => r.AdverseEventId == adverseEvent.Id)));
    }

    [Fact]
    public async Task A_follow_up_filed_through_the_page_days_later_is_not_recorded_as_a_late_site_report()
    {
        var participant = await app.RegisterParticipantAsync("coordinator");
        var adverseEvent = await app.ReportAsync("coordinator", participant.Id, app.Serious("LON", "Seizure"));

        // Two days later the site learns the patient was discharged and files a follow-up through the page.
        app.Clock.Advance(TimeSpan.FromDays(2));
        using var coordinator = await app.SignedInAsync("coordinator");
        var form = await coordinator.GetAsync($"/adverse-events/{adverseEvent.Id}/follow-up");
        var today = SafetyScenario.Iso(app.LocalToday(SafetyScenario.London));
        var filed = await coordinator.SubmitAsync(form, "report-adverse-event", ("Input.FollowUpNote", "Discharged home."));
        Assert.Equal($"/adverse-events/{adverseEvent.Id}", filed.Path);

        // The sponsor had the follow-up at once, so the site's 24-hour clock for version 2 was met...
        var siteClock = Assert.Single(filed.RowsMentioning("ae-clocks", "Site report to sponsor (version 2)"));
        Assert.False(siteClock.Contains("Met late", StringComparison.Ordinal), siteClock);

        // ...because the time the site learned of the new information defaults to now, not to when it learned of the event.
        Assert.Equal(today, form.Shown("ae-aware-date"));
    }

    [Fact]
    public async Task A_SUSAR_follow_up_waiting_for_reassessment_is_not_shown_overdue_on_the_dashboard()
    {
        var participant = await app.RegisterParticipantAsync("coordinator");
        var adverseEvent = await app.ReportAsync("coordinator", participant.Id, app.Serious("LON", "Seizure"));
        Assert.True(await app.AssessAsync(adverseEvent.Id, "Related", expected: false));
        app.Clock.Advance(TimeSpan.FromHours(1));
        await app.RecordExpeditedAsync(adverseEvent.Id, "EV-SUSAR-0002");
        app.Clock.Advance(TimeSpan.FromHours(1));
        await app.FollowUpAsync("coordinator", adverseEvent.Id, await app.FollowUpOfAsync(adverseEvent.Id, "Discharged; EEG normal."));
        app.Clock.Advance(TimeSpan.FromMinutes(5));

        // Nothing is overdue: the follow-up report has 15 days and the re-assessment has no deadline of its own.
        var standing = await app.AsUserAsync("safety", s => s.GetRequiredService<SafetyOverview>().EventAsync(adverseEvent.Id));
        Assert.All(standing.Status.OpenClocks, c => Assert.Equal(TrialManager.Domain.Safety.ClockState.Running, c.StateAt(app.Clock.GetUtcNow())));
        using var safety = await app.SignedInAsync("safety");
        var dashboard = await safety.GetAsync("/safety");
        Assert.Empty(dashboard.RowsMentioning("safety-overdue", adverseEvent.Number));
        foreach (var row in dashboard.RowsMentioning("safety-awaiting", adverseEvent.Number))
        {
            Assert.False(row.Contains("Overdue", StringComparison.Ordinal), row);
        }
    }
}
