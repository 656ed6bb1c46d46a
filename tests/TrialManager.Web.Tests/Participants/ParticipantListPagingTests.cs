using System.Net;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Participants;

/// <summary>The participant list is paged: every participant can be reached, none is cut off, and a hostile page number is harmless.</summary>
public class ParticipantListPagingTests(TrialApp app) : IClassFixture<TrialApp>
{
    [Fact]
    public async Task Every_participant_of_a_large_site_is_reachable_page_by_page()
    {
        var trial = await RandomizationTrial.CreateAsync(app, "PAGE-01", kitsPerSite: 10, slotsPerStratum: 200);
        var ids = await trial.AddEligibleParticipantsAsync(app, "LON", 230);
        using var browser = app.NewBrowser();
        await browser.SignInAsync("coordinator");

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var first = await browser.GetAsync("/participants");
        Assert.Equal(HttpStatusCode.OK, first.Status);
        var total = RowLinks(first).Count;
        Assert.Equal(100, total);
        Assert.Contains("1–100 of", first.Document.QuerySelector("[data-testid=pager]")!.TextContent, StringComparison.Ordinal);

        for (var page = 1; page <= 10; page++)
        {
            var shown = await browser.GetAsync(page == 1 ? "/participants" : $"/participants?page={page}");
            var links = RowLinks(shown);
            Assert.True(links.Count <= 100);
            seen.UnionWith(links);
            if (shown.Document.QuerySelector("a[rel=next]") is null)
            {
                break;
            }
        }

        // The coordinator sees every participant of their site that this and earlier tests registered, each exactly once.
        Assert.True(ids.All(id => seen.Contains($"/participants/{id}")), "a participant could not be reached through the pages");
    }

    [Theory]
    [InlineData("?page=999999")]
    [InlineData("?page=-4")]
    [InlineData("?page=0")]
    [InlineData("?page=abc")]
    [InlineData("?page=99999999999999999999")]
    public async Task A_page_number_out_of_range_or_not_a_number_shows_a_real_page(string query)
    {
        await SomeParticipantsAsync();
        using var browser = app.NewBrowser();
        await browser.SignInAsync("coordinator");
        var page = await browser.GetAsync("/participants" + query);
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.NotEmpty(RowLinks(page));
        var events = await browser.GetAsync("/adverse-events" + query + "&serious=maybe");
        Assert.Equal(HttpStatusCode.OK, events.Status);
    }

    private static readonly SemaphoreSlim Once = new(1, 1);
    private static bool _registered;

    /// <summary>A few participants at LON, whichever test of the class runs first.</summary>
    private async Task SomeParticipantsAsync()
    {
        await Once.WaitAsync();
        try
        {
            if (!_registered)
            {
                var trial = await RandomizationTrial.CreateAsync(app, "PAGE-02", kitsPerSite: 2, slotsPerStratum: 10);
                await trial.AddEligibleParticipantsAsync(app, "LON", 3);
                _registered = true;
            }
        }
        finally
        {
            Once.Release();
        }
    }

    private static List<string> RowLinks(Page page) =>
        [.. page.Document.QuerySelectorAll("[data-testid=participants-table] tbody tr td:first-child a").Select(a => a.GetAttribute("href")!)];
}
