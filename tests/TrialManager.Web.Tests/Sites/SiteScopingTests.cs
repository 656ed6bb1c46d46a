using System.Net;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Sites;

/// <summary>Site coordinators and investigators see only their own sites; sponsor-side roles see all of them.</summary>
public class SiteScopingTests(TrialApp app) : IClassFixture<TrialApp>
{
    public static TheoryData<string, string[]> WhoSeesWhat => new()
    {
        { "coordinator", ["LON"] },
        { "investigator", ["LON"] },
        { "coordinator.bos", ["BOS"] },
        { "investigator.bos", ["BOS"] },
        { "datamanager", ["BOS", "LON"] },
        { "dsmb", ["BOS", "LON"] },
        { "admin", ["BOS", "LON"] },
        { "safety", ["BOS", "LON"] },
        { "depot", ["BOS", "LON"] },
    };

    [Theory]
    [MemberData(nameof(WhoSeesWhat))]
    public async Task The_site_list_and_home_show_exactly_the_sites_a_person_may_see(string local, string[] expected)
    {
        using var browser = await SignedInAsync(local);

        var sites = await browser.GetAsync("/sites");
        Assert.Equal(HttpStatusCode.OK, sites.Status);
        Assert.Equal(expected, sites.Document.QuerySelectorAll("[data-testid=sites-table] tbody tr td:first-child").Select(td => td.TextContent.Trim()));

        var home = await browser.GetAsync("/");
        Assert.Equal(expected, home.Document.QuerySelectorAll("[data-testid=home-sites] a").Select(a => a.TextContent.Trim()));

        foreach (var code in expected)
        {
            var page = await browser.GetAsync($"/sites/{await app.SiteIdAsync(code)}");
            Assert.Equal(HttpStatusCode.OK, page.Status);
            Assert.Contains(code, page.Document.QuerySelector("h1")!.TextContent, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("coordinator", "BOS")]
    [InlineData("investigator", "BOS")]
    [InlineData("coordinator.bos", "LON")]
    [InlineData("investigator.bos", "LON")]
    public async Task Another_sites_page_is_a_404_that_shows_nothing_of_that_site(string local, string otherCode)
    {
        var otherId = await app.SiteIdAsync(otherCode);
        var otherSite = await app.WithDbAsync(db => Task.FromResult(db.Sites.Single(s => s.Id == otherId)));
        var otherStaff = DemoStaffOf(otherCode);
        using var browser = await SignedInAsync(local);

        var page = await browser.GetAsync($"/sites/{otherId}");

        Assert.Equal(HttpStatusCode.NotFound, page.Status);
        Assert.DoesNotContain(otherSite.Code, page.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(otherSite.Name, page.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(otherSite.TimeZone, page.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(otherId.ToString(), page.Html, StringComparison.OrdinalIgnoreCase);
        foreach (var name in otherStaff)
        {
            Assert.DoesNotContain(name, page.Text, StringComparison.Ordinal);
        }

        // Exactly what an id that exists nowhere gets: the answer does not tell that the site exists.
        var missing = await browser.GetAsync($"/sites/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal(Normalise(missing.Text), Normalise(page.Text));
    }

    [Fact]
    public async Task A_site_page_lists_only_that_sites_staff()
    {
        using var browser = await SignedInAsync("coordinator");
        var page = await browser.GetAsync($"/sites/{await app.SiteIdAsync("LON")}");

        var staff = page.Document.QuerySelectorAll("[data-testid=site-staff] li").Select(li => li.TextContent.Trim()).ToList();
        Assert.Equal(["Casey Coordinator", "Ines Investigator"], staff);
    }

    private static string[] DemoStaffOf(string code) => code == "BOS" ? ["Bo Coordinator", "Ira Investigator"] : ["Casey Coordinator", "Ines Investigator"];

    private static string Normalise(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private async Task<TestBrowser> SignedInAsync(string local)
    {
        if (local is "admin" or "safety" && app.AuthenticatorKey(app.Account(local).Email) is null)
        {
            await app.EnrolAuthenticatorAsync(local);
        }

        var browser = app.NewBrowser();
        Assert.Equal("/", (await browser.SignInAsync(local)).Path);
        return browser;
    }
}
