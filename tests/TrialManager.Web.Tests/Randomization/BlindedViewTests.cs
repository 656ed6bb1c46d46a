using System.Net;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Randomization;

/// <summary>After randomization, nothing a blinded person can reach shows an arm, and the app's logs never name one.</summary>
public class BlindedViewTests(TrialApp app) : IClassFixture<TrialApp>
{
    private static readonly SemaphoreSlim Once = new(1, 1);
    private static RandomizationTrial? _trial;

    private async Task<RandomizationTrial> TrialAsync()
    {
        await Once.WaitAsync();
        try
        {
            if (_trial is null)
            {
                _trial = await RandomizationTrial.CreateAsync(app, "BLIND-01", kitsPerSite: 20);
                foreach (var (site, local) in new[] { ("LON", "coordinator"), ("BOS", "coordinator.bos") })
                {
                    var ids = await _trial.AddEligibleParticipantsAsync(app, site, 6);
                    foreach (var id in ids.Take(5))
                    {
                        await app.AsUserAsync(local, s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(id));
                    }

                    var visit = _trial.Protocol.Visits.First(v => v.DispensesKit && v != _trial.Protocol.RandomizationVisit).Code;
                    await app.AsUserAsync(local, s => s.GetRequiredService<DispenseKit>().AtVisitAsync(ids[0], visit));
                }

                await app.EnrolAuthenticatorAsync("admin");
            }

            return _trial;
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
    [InlineData("admin")]
    public async Task No_page_a_blinded_role_can_reach_shows_an_arm(string local)
    {
        var trial = await TrialAsync();
        using var browser = app.NewBrowser();
        await browser.SignInAsync(local);

        var pages = await LinkCrawler.CrawlAsync(browser);

        Assert.Contains(pages, p => p.Path == "/trials/" + trial.Code || local != "admin");
        if (local is "coordinator" or "datamanager")
        {
            Assert.True(
                pages.Any(p => p.Path.StartsWith("/participants/", StringComparison.Ordinal) && p.Document.QuerySelector("[data-testid=randomization-number]") is not null),
                "no randomized participant's page was reached: " + string.Join(", ", pages.Select(p => p.Path)));
        }

        foreach (var page in pages)
        {
            Assert.True(page.Status != HttpStatusCode.InternalServerError, $"{page.Path} answered 500 to {local}");
            foreach (var secret in RandomizationTrial.ArmSecrets)
            {
                Assert.False(page.Html.Contains(secret, StringComparison.OrdinalIgnoreCase), $"{page.Path} shows '{secret}' to {local}");
            }
        }
    }

    [Fact]
    public async Task The_logs_never_name_an_arm()
    {
        await TrialAsync();
        Assert.NotEmpty(app.Logs.Lines);
        foreach (var line in app.Logs.Lines)
        {
            foreach (var secret in RandomizationTrial.ArmSecrets)
            {
                Assert.DoesNotContain(secret, line, StringComparison.OrdinalIgnoreCase);
            }
        }
    }
}
