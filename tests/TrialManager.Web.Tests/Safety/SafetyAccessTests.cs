using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Domain.Access;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Safety;
using TrialManager.Web.Features.Signatures;
using TrialManager.Web.Tests.Account;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Safety;

/// <summary>Who may see, follow up, sign, assess and report adverse events, and at which sites.</summary>
public class SafetyAccessTests(TrialApp app) : IClassFixture<TrialApp>
{
    private static readonly SemaphoreSlim Once = new(1, 1);
    private static (AdverseEvent London, AdverseEvent Boston)? _events;

    /// <summary>A serious event at London and a non-serious one at Boston, reported once for the class.</summary>
    private async Task<(AdverseEvent London, AdverseEvent Boston)> EventsAsync()
    {
        await Once.WaitAsync();
        try
        {
            if (_events is null)
            {
                var lon = await app.RegisterParticipantAsync("coordinator");
                var bos = await app.RegisterParticipantAsync("coordinator.bos");
                _events = (
                    await app.ReportAsync("coordinator", lon.Id, app.Serious("LON", "Seizure")),
                    await app.ReportAsync("coordinator.bos", bos.Id, app.NonSerious("BOS", "Headache")));
            }

            return _events.Value;
        }
        finally
        {
            Once.Release();
        }
    }

    [Fact]
    public async Task The_Boston_coordinator_can_neither_see_nor_follow_up_nor_sign_a_London_event()
    {
        var (london, boston) = await EventsAsync();
        using var browser = await app.SignedInAsync("coordinator.bos");

        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"/adverse-events/{london.Id}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"/adverse-events/{london.Id}/follow-up")).Status);
        Assert.Equal("/Account/AccessDenied", (await browser.GetAsync($"/adverse-events/{london.Id}/sign")).Path);
        var own = await browser.GetAsync($"/adverse-events/{boston.Id}");
        Assert.Equal(HttpStatusCode.OK, own.Status);
        Assert.Contains("File a follow-up", own.Text, StringComparison.Ordinal);

        // A follow-up posted straight at the London event saves nothing.
        var home = await browser.GetAsync("/");
        var forged = await browser.PostAsync($"/adverse-events/{london.Id}/follow-up",
        [
            new("_handler", "report-adverse-event"), new("__RequestVerificationToken", home.AntiforgeryToken()),
            new("Input.ReportedTerm", "Tampered"), new("Input.FollowUpNote", "not mine"),
        ]);
        Assert.NotEqual(HttpStatusCode.InternalServerError, forged.Status);
        Assert.Equal(1, await CurrentVersionAsync(london.Id));

        await Assert.ThrowsAsync<OperationForbiddenException>(() =>
            app.AsUserAsync("coordinator.bos", s => s.GetRequiredService<SafetyOverview>().EventAsync(london.Id)));
        await Assert.ThrowsAsync<OperationForbiddenException>(async () =>
        {
            var input = await app.FollowUpOfAsync(london.Id, "Not my site's event.");
            await app.AsUserAsync("coordinator.bos", s => s.GetRequiredService<ReportAdverseEvent>().FollowUpAsync(london.Id, input));
        });
        await Assert.ThrowsAsync<OperationForbiddenException>(() =>
            app.AsUserAsync("coordinator.bos", s => s.GetRequiredService<SignAdverseEvent>().ExecuteAsync(london.Id, "Authored", app.Account("coordinator.bos").Password)));
        Assert.Equal(1, await CurrentVersionAsync(london.Id));
        Assert.Equal(0, await app.WithDbAsync(db => db.Signatures.CountAsync(s => s.AdverseEventId == london.Id)));
    }

    [Fact]
    public async Task An_investigator_of_another_site_cannot_sign_a_London_event()
    {
        var (london, _) = await EventsAsync();
        var bostonInvestigator = await app.CreateAccountAsync([TrialRoles.Investigator], "BOS");
        using var browser = app.NewBrowser();
        var home = await browser.SignInAsync(bostonInvestigator.Email, bostonInvestigator.Password);
        Assert.Equal("/", home.Path);

        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"/adverse-events/{london.Id}/sign")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"/adverse-events/{london.Id}")).Status);
        var forged = await browser.PostAsync($"/adverse-events/{london.Id}/sign",
        [
            new("_handler", "sign-adverse-event"), new("__RequestVerificationToken", home.AntiforgeryToken()),
            new("Meaning", "Reviewed and approved"), new("SignPassword", bostonInvestigator.Password),
        ]);
        Assert.NotEqual(HttpStatusCode.InternalServerError, forged.Status);
        Assert.Equal(0, await app.WithDbAsync(db => db.Signatures.CountAsync(s => s.AdverseEventId == london.Id)));
    }

    [Theory]
    [InlineData("investigator")]
    [InlineData("coordinator")]
    [InlineData("datamanager")]
    [InlineData("dsmb")]
    public async Task Only_the_safety_officer_assesses_or_records_expedited_reports(string local)
    {
        var (london, _) = await EventsAsync();
        await Assert.ThrowsAsync<OperationForbiddenException>(() => app.AsUserAsync(local, s => s.GetRequiredService<AssessAdverseEvent>().ExecuteAsync(london.Id, new AssessmentInput
        {
            SponsorCausality = "Related",
            Expected = "no",
            Rationale = "Not mine to make.",
        })));
        await Assert.ThrowsAsync<OperationForbiddenException>(() => app.AsUserAsync(local, s => s.GetRequiredService<RecordExpeditedReport>().ExecuteAsync(london.Id, new ExpeditedReportInput
        {
            SubmittedAt = app.Clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm", System.Globalization.CultureInfo.InvariantCulture),
            Reference = "EV-FORGED",
        })));

        using var browser = await app.SignedInAsync(local);
        Assert.Equal("/Account/AccessDenied", (await browser.GetAsync($"/adverse-events/{london.Id}/assess")).Path);
        Assert.Equal("/Account/AccessDenied", (await browser.GetAsync($"/adverse-events/{london.Id}/expedited")).Path);
        Assert.Equal("/Account/AccessDenied", (await browser.GetAsync("/safety")).Path);
        Assert.Equal(0, await app.WithDbAsync(db => db.SafetyAssessments.CountAsync(a => a.AdverseEventId == london.Id && a.AssessedByName != "Sam Safety")));
        Assert.Equal(0, await app.WithDbAsync(db => db.ExpeditedReports.CountAsync(r => r.Reference == "EV-FORGED")));
    }

    [Fact]
    public async Task The_safety_officer_assesses_and_records_an_expedited_report_through_the_pages()
    {
        var (london, _) = await EventsAsync();
        using var safety = await app.SignedInAsync("safety");
        var eventPage = await safety.GetAsync($"/adverse-events/{london.Id}");
        Assert.Contains($"/adverse-events/{london.Id}/assess", eventPage.Links);
        Assert.DoesNotContain($"/adverse-events/{london.Id}/follow-up", eventPage.Links);
        Assert.DoesNotContain($"/adverse-events/{london.Id}/sign", eventPage.Links);

        var assess = await safety.GetAsync($"/adverse-events/{london.Id}/assess");
        var incomplete = await safety.SubmitAsync(assess, "assess-adverse-event", ("SponsorCausality", "Related"), ("Expected", "no"), ("Rationale", ""));
        Assert.Equal(HttpStatusCode.OK, incomplete.Status);
        Assert.Contains("Give the reasons for the assessment", incomplete.MessagesFor("assess-rationale").Single(), StringComparison.Ordinal);
        Assert.Equal(0, await app.WithDbAsync(db => db.SafetyAssessments.CountAsync(a => a.AdverseEventId == london.Id)));

        var assessed = await safety.SubmitAsync(incomplete, "assess-adverse-event", ("SponsorCausality", "Related"), ("Expected", "no"), ("Rationale", "Unexpected; plausible mechanism."));
        Assert.Equal($"/adverse-events/{london.Id}", assessed.Path);
        Assert.Contains("SUSAR", assessed.TestId("ae-flags"), StringComparison.Ordinal);
        Assert.Contains("SUSAR (version 1): causality Related, unexpected.", SafetyScenario.Normalise(assessed.TestId("ae-assessments")), StringComparison.Ordinal);
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditTrail.CountAsync(e => e.EntityId == london.Id.ToString() && e.Action == "AssessSusar")));

        var expedited = await safety.GetAsync($"/adverse-events/{london.Id}/expedited");
        var recorded = await safety.SubmitAsync(expedited, "record-expedited-report", ("Reference", "EV-PAGE-0001"));
        Assert.Equal($"/adverse-events/{london.Id}", recorded.Path);
        Assert.Contains("EV-PAGE-0001: covers version 1", recorded.Text, StringComparison.Ordinal);
        Assert.Contains("Met", Assert.Single(recorded.RowsMentioning("ae-clocks", "Expedited SUSAR report")), StringComparison.Ordinal);
    }

    public static TheoryData<string, string[]> Listings => new()
    {
        { "coordinator", ["LON"] },
        { "investigator", ["LON"] },
        { "coordinator.bos", ["BOS"] },
        { "datamanager", ["LON", "BOS"] },
        { "safety", ["LON", "BOS"] },
    };

    [Theory]
    [MemberData(nameof(Listings))]
    public async Task The_listing_shows_site_staff_their_sites_and_the_data_manager_and_safety_officer_every_site(string local, string[] sites)
    {
        var (london, boston) = await EventsAsync();
        using var browser = await app.SignedInAsync(local);
        var listing = await browser.GetAsync("/adverse-events");
        Assert.Equal(HttpStatusCode.OK, listing.Status);
        foreach (var (site, adverseEvent) in new[] { ("LON", london), ("BOS", boston) })
        {
            var link = $"/adverse-events/{adverseEvent.Id}";
            var page = await browser.GetAsync(link);
            if (sites.Contains(site))
            {
                Assert.Contains(link, listing.Links);
                Assert.Equal(HttpStatusCode.OK, page.Status);
                Assert.Contains(adverseEvent.Number, page.Text, StringComparison.Ordinal);
            }
            else
            {
                Assert.DoesNotContain(link, listing.Links);
                Assert.DoesNotContain(adverseEvent.Number, listing.Text, StringComparison.Ordinal);
                Assert.Equal(HttpStatusCode.NotFound, page.Status);
            }
        }

        // The operation behind the listing agrees with the page.
        var listed = await app.AsUserAsync(local, s => s.GetRequiredService<SafetyOverview>().ListAsync());
        Assert.Equal(sites.Order(StringComparer.Ordinal), listed.Where(s => s.Event.Id == london.Id || s.Event.Id == boston.Id).Select(s => s.SiteCode).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("dsmb")]
    [InlineData("admin")]
    public async Task The_board_and_the_administrator_are_denied_adverse_events(string local)
    {
        var (london, _) = await EventsAsync();
        using var browser = await app.SignedInAsync(local);
        foreach (var path in new[] { "/adverse-events", $"/adverse-events/{london.Id}", $"/adverse-events/{london.Id}/assess", "/safety", $"/adverse-events/{london.Id}/follow-up" })
        {
            Assert.Equal("/Account/AccessDenied", (await browser.GetAsync(path)).Path);
        }

        await Assert.ThrowsAsync<OperationForbiddenException>(() => app.AsUserAsync(local, s => s.GetRequiredService<SafetyOverview>().ListAsync()));
        await Assert.ThrowsAsync<OperationForbiddenException>(() => app.AsUserAsync(local, s => s.GetRequiredService<SafetyOverview>().EventAsync(london.Id)));
    }

    private Task<int> CurrentVersionAsync(Guid eventId) =>
        app.WithDbAsync(db => db.AdverseEvents.Where(e => e.Id == eventId).Select(e => e.CurrentVersion).SingleAsync());
}
