using System.Net;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Features.Safety;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Safety;

/// <summary>
/// In a randomized trial with distinctive arm codes and labels, no safety page (nor the inbox its alerts land in)
/// shows an arm to anyone, the safety officer included: assessment does not need the allocation.
/// </summary>
public class SafetyBlindingTests(TrialApp app) : IClassFixture<TrialApp>
{
    private static readonly SemaphoreSlim Once = new(1, 1);
    private static (Guid Participant, AdverseEvent Serious, AdverseEvent Ordinary)? _setup;

    /// <summary>A randomized, dosed participant with a SUSAR (assessed, reported, followed up, alerted) and an ordinary event.</summary>
    private async Task<(Guid Participant, AdverseEvent Serious, AdverseEvent Ordinary)> SetupAsync()
    {
        await Once.WaitAsync();
        try
        {
            if (_setup is null)
            {
                var trial = await RandomizationTrial.CreateAsync(app, "AE-BLIND-01", kitsPerSite: 4, slotsPerStratum: 8);
                var participant = (await trial.AddEligibleParticipantsAsync(app, "LON", 1)).Single();
                var randomized = await app.AsUserAsync("coordinator", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(participant));
                Assert.True(randomized.Succeeded, SafetyScenario.Describe(randomized.Outcome));

                var serious = await app.ReportAsync("coordinator", participant, app.Serious("LON", "Seizure"));
                var ordinary = await app.ReportAsync("investigator", participant, app.NonSerious("LON", "Headache"));
                Assert.True(await app.AssessAsync(serious.Id, "Related", expected: false));
                app.Clock.Advance(TimeSpan.FromHours(1));
                await app.RecordExpeditedAsync(serious.Id, "EV-BLIND-0001");
                app.Clock.Advance(TimeSpan.FromHours(1));
                await app.FollowUpAsync("investigator", serious.Id, await app.FollowUpOfAsync(serious.Id, "Discharged; dose resumed."));

                // Let the follow-up clock fall overdue so the monitor writes its alerts into the safety officer's inbox.
                var monitor = app.Services.GetRequiredService<SafetyClockMonitor>();
                app.Clock.Advance(TimeSpan.FromDays(14));
                await monitor.RunOnceAsync();
                app.Clock.Advance(TimeSpan.FromDays(3));
                Assert.True(await monitor.RunOnceAsync() > 0);
                _setup = (participant, serious, ordinary);
            }

            return _setup.Value;
        }
        finally
        {
            Once.Release();
        }
    }

    [Theory]
    [InlineData("coordinator")]
    [InlineData("investigator")]
    [InlineData("datamanager")]
    [InlineData("safety")]
    public async Task No_safety_page_shows_an_arm(string local)
    {
        var (participant, serious, ordinary) = await SetupAsync();
        var pages = new List<string> { "/adverse-events", "/inbox", $"/participants/{participant}" };
        foreach (var e in new[] { serious, ordinary })
        {
            pages.Add($"/adverse-events/{e.Id}");
            pages.AddRange(local switch
            {
                "coordinator" => [$"/adverse-events/{e.Id}/follow-up"],
                "investigator" => [$"/adverse-events/{e.Id}/follow-up", $"/adverse-events/{e.Id}/sign"],
                "safety" => [$"/adverse-events/{e.Id}/assess", $"/adverse-events/{e.Id}/expedited"],
                _ => [],
            });
        }

        if (local == "safety")
        {
            pages.Add("/safety");
        }

        using var browser = await app.SignedInAsync(local);
        foreach (var path in pages)
        {
            var page = await browser.GetAsync(path, follow: false);
            Assert.True(page.Status == HttpStatusCode.OK, $"{path} answered {(int)page.Status} to {local}");
            foreach (var secret in RandomizationTrial.ArmSecrets)
            {
                Assert.False(page.Html.Contains(secret, StringComparison.OrdinalIgnoreCase), $"{path} shows '{secret}' to {local}");
            }
        }

        // The pages did show the events (so the check above looked at something).
        var eventPage = await browser.GetAsync($"/adverse-events/{serious.Id}");
        Assert.Contains("Seizure", eventPage.TestId("ae-report"), StringComparison.Ordinal);
        if (local == "safety")
        {
            var inbox = await browser.GetAsync("/inbox");
            Assert.Contains($"Serious adverse event {serious.Number}", inbox.Text, StringComparison.Ordinal);
            Assert.Contains($"Overdue: Expedited follow-up report (version 2) for {serious.Number}", inbox.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_logs_never_name_an_arm()
    {
        await SetupAsync();
        foreach (var line in app.Logs.Lines)
        {
            foreach (var secret in RandomizationTrial.ArmSecrets)
            {
                Assert.DoesNotContain(secret, line, StringComparison.OrdinalIgnoreCase);
            }
        }
    }
}
