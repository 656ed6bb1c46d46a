using System.Text.RegularExpressions;
using Microsoft.Playwright;
using TrialManager.Domain.Access;
using TrialManager.E2E.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace TrialManager.E2E.Tests.Journeys;

/// <summary>Every demo role signs in through the real pages in Chromium and sees its own home page and navigation.</summary>
public class RoleHomeTests(BrowserApp app, ITestOutputHelper output) : IClassFixture<BrowserApp>
{
    private static readonly (string Name, string Href)[] EveryoneLinks = [("Home", "/"), ("Sites", "/sites"), ("Security", "/Account/Manage")];
    private static readonly AuthorizationMatrix Matrix = AuthorizationMatrix.Load();

    /// <summary>What each demo account must see. Keyed by the local part of its e-mail address.</summary>
    private static readonly Dictionary<string, Expectation> Expected = new(StringComparer.Ordinal)
    {
        ["coordinator"] = new(TrialRoles.SiteCoordinator, "Casey Coordinator", ["LON"], TrialRoles.SiteCoordinator),
        ["investigator"] = new(TrialRoles.Investigator, "Ines Investigator", ["LON"], TrialRoles.Investigator),
        ["safety"] = new(TrialRoles.SafetyOfficer, "Sam Safety", ["BOS", "LON"], TrialRoles.SafetyOfficer),
        ["dsmb"] = new(TrialRoles.DsmbMember, "Dana Board", ["BOS", "LON"], TrialRoles.DsmbMember),
        ["datamanager"] = new(TrialRoles.DataManager, "Drew Data", ["BOS", "LON"], TrialRoles.DataManager),
        ["admin"] = new(TrialRoles.Administrator, "Alex Admin", ["BOS", "LON"], TrialRoles.Administrator),
        ["coordinator.bos"] = new(TrialRoles.SiteCoordinator, "Bo Coordinator", ["BOS"], "SiteCoordinator-BOS"),
        ["investigator.bos"] = new(TrialRoles.Investigator, "Ira Investigator", ["BOS"], "Investigator-BOS"),
        ["depot"] = new(TrialRoles.DepotManager, "Dee Depot", ["BOS", "LON"], TrialRoles.DepotManager),
    };

    public static TheoryData<string> DemoAccounts => [.. Expected.Keys];

    [Theory]
    [MemberData(nameof(DemoAccounts))]
    public async Task Each_demo_role_signs_in_from_the_start_page_and_sees_its_home_and_navigation(string local)
    {
        var expected = Expected[local];
        var account = app.Account(local);
        Assert.Equal(expected.Role, account.Role);
        var roleName = TrialRoles.DisplayName(expected.Role);
        await using var session = await app.NewSessionAsync(output);
        var page = session.Page;

        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(AccountSteps.PathIs(AccountSteps.LoginPath));
        Assert.Contains("returnurl=%2f", page.Url.ToLowerInvariant(), StringComparison.Ordinal);
        await AccountSteps.SubmitSignInAsync(page, account.Email, account.Password);

        if (TrialRoles.RequireTwoFactor.Contains(expected.Role))
        {
            // The gate sends these roles to enrolment, whatever they asked for, until they have a second factor.
            await AccountSteps.EnrolAuthenticatorAsync(app, session, account.Email, $"{expected.Screenshot}-enrolment");
        }

        await Expect(page).ToHaveURLAsync(AccountSteps.PathIs("/"));
        await Expect(page).ToHaveTitleAsync("Home · TrialManager");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync($"Welcome, {expected.DisplayName}");
        await Expect(page.GetByTestId("home-roles")).ToHaveTextAsync($"Signed in as {roleName}.");
        await Expect(page.GetByTestId($"role-card-{expected.Role}").GetByRole(AriaRole.Heading)).ToHaveTextAsync(roleName);
        await Expect(page.Locator("[data-testid^=role-card-]")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("home-sites").GetByRole(AriaRole.Link)).ToHaveTextAsync(expected.Sites);

        var topBar = page.GetByRole(AriaRole.Banner);
        await Expect(topBar.GetByTestId("current-user")).ToContainTextAsync(expected.DisplayName);
        await Expect(topBar.GetByTestId("current-user")).ToContainTextAsync($"({roleName})");
        await Expect(topBar.GetByTestId("current-trial")).ToContainTextAsync("PSI-MDD-01");

        // The navigation shows every link the role needs and none it may not use. Features add links as they land, so
        // beyond the fixed ones the rule is the authorization matrix: a link shown must lead to a page the role may open.
        var isAdministrator = expected.Role == TrialRoles.Administrator;
        var nav = page.GetByTestId("side-nav");
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Main" })).ToBeVisibleAsync();
        foreach (var (name, href) in EveryoneLinks)
        {
            await Expect(nav.GetByRole(AriaRole.Link, new() { Name = name, Exact = true })).ToHaveAttributeAsync("href", href);
        }

        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Home", Exact = true })).ToHaveClassAsync(new Regex(@"\bactive\b"));
        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Users", Exact = true })).ToHaveCountAsync(isAdministrator ? 1 : 0);
        await Expect(nav.GetByText("Administration", new() { Exact = true })).ToHaveCountAsync(isAdministrator ? 1 : 0);
        var hrefs = await nav.GetByRole(AriaRole.Link).EvaluateAllAsync<string[]>("links => links.map(a => a.getAttribute('href'))");
        Assert.Equal(hrefs.Length, hrefs.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(isAdministrator, hrefs.Contains("/admin/users"));
        foreach (var href in hrefs)
        {
            Assert.True(Matrix.Allows(expected.Role, href), $"The navigation shows {href} to {expected.Role}, which the authorization matrix denies.");
        }

        await session.ScreenshotAsync(expected.Screenshot);

        if (isAdministrator)
        {
            await nav.GetByRole(AriaRole.Link, new() { Name = "Users" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(AccountSteps.PathIs("/admin/users"));
            await Expect(page.GetByTestId("users-table").Locator("tbody tr")).ToHaveCountAsync(Expected.Count);
        }
        else
        {
            // The page refuses what the navigation leaves out.
            await page.GotoAsync("/admin/users");
            await Expect(page).ToHaveURLAsync(AccountSteps.PathIs("/Account/AccessDenied"));
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Access denied" })).ToBeVisibleAsync();
        }

        // The sites page shows the same sites as home: the navigation's links lead somewhere real.
        await page.GotoAsync("/");
        await page.GetByTestId("side-nav").GetByRole(AriaRole.Link, new() { Name = "Sites" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(AccountSteps.PathIs("/sites"));
        await Expect(page.GetByTestId("sites-table").Locator("tbody tr td:first-child")).ToHaveTextAsync(expected.Sites);

        await session.AssertNoBrowserOrServerErrorsAsync();
    }

    private sealed record Expectation(string Role, string DisplayName, string[] Sites, string Screenshot);
}
