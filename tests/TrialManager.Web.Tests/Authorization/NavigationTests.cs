using System.Net;
using TrialManager.Web.Tests.Account;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Authorization;

/// <summary>The side navigation shows each role exactly what it may use, and everything it shows opens.</summary>
public class NavigationTests(TrialApp app) : IClassFixture<TrialApp>
{
    private static readonly string[] Everyone = ["/", "/trials", "/sites", "/Account/Manage"];
    private static readonly string[] ParticipantRecords = [.. Everyone, "/worklist", "/participants", "/adverse-events", "/audit"];
    private static readonly string[] SiteStaff = [.. ParticipantRecords, "/supply"];

    public static TheoryData<string, string[]> ExpectedLinks => new()
    {
        { "coordinator", SiteStaff },
        { "investigator", SiteStaff },
        { "safety", [.. ParticipantRecords, "/safety", "/vault", "/dsmb"] },
        { "dsmb", [.. Everyone, "/dsmb"] },
        { "datamanager", [.. ParticipantRecords, "/supply", "/dsmb"] },
        { "coordinator.bos", SiteStaff },
        { "investigator.bos", SiteStaff },
        { "admin", [.. Everyone, "/admin/users", "/admin/protocols", "/audit", "/dsmb"] },
        { "depot", [.. Everyone, "/supply"] },
    };

    [Theory]
    [MemberData(nameof(ExpectedLinks))]
    public async Task Each_role_sees_exactly_its_own_links_and_each_one_opens(string local, string[] expected)
    {
        if (local is "admin" or "safety")
        {
            await app.EnrolAuthenticatorAsync(local);
        }

        using var browser = app.NewBrowser();
        var home = await browser.SignInAsync(local);
        Assert.Equal("/", home.Path);

        var links = SideNavLinks(home);
        Assert.Equal(expected.Order(StringComparer.Ordinal), links.Order(StringComparer.Ordinal));
        Assert.Equal(links.Count, links.Distinct(StringComparer.Ordinal).Count());

        foreach (var link in links)
        {
            var page = await browser.GetAsync(link, follow: false);
            Assert.True(page.Status == HttpStatusCode.OK, $"{local}: the navigation offers {link}, which answered {(int)page.Status} {page.Response.Headers.Location}");
            Assert.Equal(links, SideNavLinks(page));
        }
    }

    [Fact]
    public async Task A_person_with_no_role_sees_only_home_and_their_account()
    {
        var account = await app.CreateAccountAsync([]);
        using var browser = app.NewBrowser();
        var home = await browser.SignInAsync(account.Email, account.Password);

        Assert.Equal(["/", "/Account/Manage"], SideNavLinks(home));
        Assert.Contains("/Account/AccessDenied", (await browser.GetAsync("/sites", follow: false)).Response.Headers.Location?.ToString() ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pages_before_sign_in_have_no_side_navigation()
    {
        using var browser = app.NewBrowser();
        foreach (var url in new[] { "/Account/Login", "/Account/Lockout", "/Error", "/not-found" })
        {
            var page = await browser.GetAsync(url);
            Assert.Null(page.Document.QuerySelector("[data-testid=side-nav]"));
        }
    }

    public static List<string> SideNavLinks(Page page)
    {
        var nav = page.Document.QuerySelector("[data-testid=side-nav]") ?? throw new InvalidOperationException($"No side navigation on {page.Path}");
        return [.. nav.QuerySelectorAll("a[href]").Select(a => a.GetAttribute("href")!)];
    }
}
