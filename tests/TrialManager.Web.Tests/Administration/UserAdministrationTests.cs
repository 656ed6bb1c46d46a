using System.Net;
using AngleSharp.Html.Dom;
using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Access;
using TrialManager.Web.Tests.Account;
using TrialManager.Web.Tests.Authorization;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Administration;

public class UserAdministrationTests(TrialApp app) : IClassFixture<TrialApp>
{
    private const string ForgedSite = "forged";
    private const string JunkSite = "junk";

    [Fact]
    public async Task An_administrator_creates_a_user_who_must_replace_the_one_time_password_before_anything_else()
    {
        var lon = await app.SiteIdAsync("LON");
        var email = $"new.coordinator.{Guid.NewGuid():N}@example.org";
        using var admin = await SignedInAdminAsync();
        var form = await admin.GetAsync("/admin/users/new");
        var created = await admin.SubmitAsync(form, "new-user",
        [
            new("Input.Email", email),
            new("Input.DisplayName", "Nia New"),
            new("Input.Roles", TrialRoles.SiteCoordinator),
            new("Input.SiteIds", lon.ToString()),
        ]);

        var oneTimePassword = created.Document.QuerySelector("[data-testid=one-time-password]")?.TextContent.Trim();
        Assert.False(string.IsNullOrEmpty(oneTimePassword), $"No one-time password shown: {created.Text}");
        var user = await app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == email));
        Assert.True(user.MustChangePassword);
        Assert.Equal([TrialRoles.SiteCoordinator], await app.RoleNamesAsync(user.Id));
        Assert.Equal([lon], await app.WithDbAsync(db => db.SiteMemberships.Where(m => m.UserId == user.Id).Select(m => m.SiteId).ToListAsync()));

        using var person = app.NewBrowser();
        var first = await person.SignInAsync(email, oneTimePassword!);
        Assert.Equal("/Account/Manage/ChangePassword", first.Path);
        Assert.Contains("one-time password", first.Text, StringComparison.Ordinal);
        foreach (var url in new[] { "/", "/sites", $"/sites/{lon}" })
        {
            var gated = await person.GetAsync(url, follow: false);
            Assert.Equal("/Account/Manage/ChangePassword", gated.Response.Headers.Location?.ToString());
        }

        const string chosen = "copper kettle on a winter stove";
        var changed = await person.SubmitAsync(first, "change-password",
            ("Input.CurrentPassword", oneTimePassword!), ("Input.NewPassword", chosen), ("Input.ConfirmPassword", chosen));
        // Once the one-time password is replaced, the person lands home with the role they were given.
        Assert.False((await app.ReloadUserAsync(user.Id)).MustChangePassword);
        Assert.Equal("/", changed.Path);
        var home = await person.GetAsync("/");
        Assert.Equal("/", home.Path);
        Assert.Equal(HttpStatusCode.OK, home.Status);
        Assert.Contains("Site coordinator", home.Document.QuerySelector("[data-testid=home-roles]")!.TextContent, StringComparison.Ordinal);
        Assert.Equal(["LON"], home.Document.QuerySelectorAll("[data-testid=home-sites] a").Select(a => a.TextContent.Trim()));
    }

    public static TheoryData<string, string, string[], string[], string, string> InvalidInput => new()
    {
        // e-mail, name, roles, sites (codes, "forged" = a made-up id, "junk" = not an id), field, message
        { "", "", [], [], "user-email", "Enter the person's e-mail address" },
        { "", "", [], [], "user-name", "Enter the person's name" },
        { "not-an-email", "Nora Nobody", [TrialRoles.DataManager], [], "user-email", "Enter an e-mail address such as" },
        { "nora@example.org", new string('N', 10_240), [TrialRoles.DataManager], [], "user-name", "at most 200" },
        { "nora@example.org", "Nora Nobody", [], [], "role-SiteCoordinator", "Choose at least one role" },
        { "nora@example.org", "Nora Nobody", [TrialRoles.SiteCoordinator], [], "site-LON", "choose at least one" },
        { "nora@example.org", "Nora Nobody", [TrialRoles.Investigator], [], "site-LON", "choose at least one" },
        { "nora@example.org", "Nora Nobody", ["Superuser"], [], "role-SiteCoordinator", "Choose roles from the list" },
        { "nora@example.org", "Nora Nobody", [TrialRoles.DataManager, "administrator"], [], "role-SiteCoordinator", "Choose roles from the list" },
        { "nora@example.org", "Nora Nobody", [TrialRoles.SiteCoordinator], [ForgedSite], "site-LON", "Choose sites from the list" },
        { "nora@example.org", "Nora Nobody", [TrialRoles.SiteCoordinator], ["LON", JunkSite], "site-LON", "Choose sites from the list" },
        { "coordinator@demo.trialmanager.test", "Casey Again", [TrialRoles.DataManager], [], "user-email", "already an account" },
        { "COORDINATOR@Demo.TrialManager.Test", "Casey Again", [TrialRoles.DataManager], [], "user-email", "already an account" },
    };

    [Theory]
    [MemberData(nameof(InvalidInput))]
    public async Task Invalid_new_user_input_gets_messages_beside_the_fields_keeps_what_was_typed_and_creates_nothing(
        string email, string name, string[] roles, string[] sites, string field, string message)
    {
        using var admin = await SignedInAdminAsync();
        var form = await admin.GetAsync("/admin/users/new");
        var fields = new List<KeyValuePair<string, string>> { new("Input.Email", email), new("Input.DisplayName", name) };
        fields.AddRange(roles.Select(r => new KeyValuePair<string, string>("Input.Roles", r)));
        foreach (var site in sites)
        {
            var value = site switch
            {
                ForgedSite => Guid.NewGuid().ToString(),
                JunkSite => "'; DELETE FROM \"Sites\"; --",
                _ => (await app.SiteIdAsync(site)).ToString(),
            };
            fields.Add(new("Input.SiteIds", value));
        }

        var usersBefore = await CountUsersAsync();
        var page = await admin.SubmitAsync(form, "new-user", fields);

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("/admin/users/new", page.Path);
        Assert.Null(page.Document.QuerySelector("[data-testid=one-time-password]"));
        var messages = MessagesNear(page, field);
        Assert.True(messages.Any(m => m.Contains(message, StringComparison.OrdinalIgnoreCase)), $"Beside #{field}: [{string.Join(" | ", messages)}]; expected '{message}'.");
        Assert.Equal(email, page.ValueOf("user-email"));
        Assert.Equal(name, page.ValueOf("user-name"));
        foreach (var role in TrialRoles.All)
        {
            Assert.Equal(roles.Contains(role), ((IHtmlInputElement)page.Document.GetElementById($"role-{role}")!).IsChecked);
        }

        Assert.Equal(sites.Contains("LON"), ((IHtmlInputElement)page.Document.GetElementById("site-LON")!).IsChecked);
        Assert.Equal(usersBefore, await CountUsersAsync());
        Assert.Equal(2, await app.WithDbAsync(db => db.Sites.CountAsync()));
    }

    public static TheoryData<string> NonAdministrators => ["coordinator", "investigator", "safety", "dsmb", "datamanager", "coordinator.bos"];

    [Theory]
    [MemberData(nameof(NonAdministrators))]
    public async Task Non_administrators_are_refused_every_administration_page(string local)
    {
        using var browser = await SignedInAsync(local);
        var pages = AppRoutes.GetPages(app, await AuthorizationMatrixTests.RouteValuesAsync(app))
            .Where(p => p.Url.StartsWith("/admin", StringComparison.Ordinal))
            .ToList();
        Assert.True(pages.Count >= 3, "The administration pages were not discovered.");

        foreach (var (_, url, _) in pages)
        {
            var page = await browser.GetAsync(url, follow: false);
            Assert.True(IsRefused(page), $"{local} got {(int)page.Status} {page.Response.Headers.Location} for {url}");
            Assert.DoesNotContain("users-table", page.Html, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(NonAdministrators))]
    public async Task A_forged_post_to_the_administration_forms_by_a_non_administrator_changes_nothing(string local)
    {
        using var browser = await SignedInAsync(local);
        var token = (await browser.GetAsync("/Account/Manage")).AntiforgeryToken();
        var ownId = await app.UserIdAsync(local);
        var victim = await app.CreateAccountAsync([TrialRoles.DataManager]);
        var victimBefore = await app.ReloadUserAsync(victim.Id);
        var usersBefore = await CountUsersAsync();
        var forgedEmail = $"forged.{Guid.NewGuid():N}@example.org";

        var posts = new (string Url, List<KeyValuePair<string, string>> Fields)[]
        {
            ("/admin/users/new", [new("_handler", "new-user"), new("Input.Email", forgedEmail), new("Input.DisplayName", "Forged"), new("Input.Roles", TrialRoles.Administrator)]),
            ($"/admin/users/{ownId}", [new("_handler", "user-access"), new("Input.Roles", TrialRoles.Administrator), new("Input.Roles", TrialRoles.SafetyOfficer)]),
            ($"/admin/users/{victim.Id}", [new("_handler", "user-disable")]),
            ($"/admin/users/{victim.Id}", [new("_handler", "user-password")]),
        };
        foreach (var (url, fields) in posts)
        {
            fields.Add(new("__RequestVerificationToken", token));
            var page = await browser.PostAsync(url, fields, follow: false);
            Assert.True(IsRefused(page), $"{local} posting {fields[0].Value} to {url} got {(int)page.Status} {page.Response.Headers.Location}");
            Assert.DoesNotContain("one-time-password", page.Html, StringComparison.Ordinal);
        }

        Assert.Equal(usersBefore, await CountUsersAsync());
        Assert.False(await app.WithDbAsync(db => db.Users.AnyAsync(u => u.Email == forgedEmail)));
        Assert.DoesNotContain(TrialRoles.Administrator, await app.RoleNamesAsync(ownId));
        var victimAfter = await app.ReloadUserAsync(victim.Id);
        Assert.False(victimAfter.IsDisabled);
        Assert.False(victimAfter.MustChangePassword);
        Assert.Equal(victimBefore.PasswordHash, victimAfter.PasswordHash);
        Assert.Equal(victimBefore.SecurityStamp, victimAfter.SecurityStamp);
    }

    [Fact]
    public async Task An_anonymous_forged_post_to_the_administration_forms_changes_nothing()
    {
        using var browser = app.NewBrowser();
        var token = (await browser.GetAsync("/Account/Login")).AntiforgeryToken();
        var victim = await app.CreateAccountAsync([TrialRoles.DataManager]);
        var usersBefore = await CountUsersAsync();

        var create = await browser.PostAsync("/admin/users/new",
            [new("_handler", "new-user"), new("Input.Email", "anon@example.org"), new("Input.DisplayName", "Anon"), new("Input.Roles", TrialRoles.Administrator), new("__RequestVerificationToken", token)], follow: false);
        var disable = await browser.PostAsync($"/admin/users/{victim.Id}", [new("_handler", "user-disable"), new("__RequestVerificationToken", token)], follow: false);

        foreach (var page in new[] { create, disable })
        {
            Assert.Equal(HttpStatusCode.Redirect, page.Status);
            Assert.Contains("/Account/Login", page.Response.Headers.Location!.ToString(), StringComparison.Ordinal);
        }

        Assert.Equal(usersBefore, await CountUsersAsync());
        Assert.False((await app.ReloadUserAsync(victim.Id)).IsDisabled);
    }

    [Fact]
    public async Task An_administrator_cannot_remove_their_own_administrator_role()
    {
        var adminId = await app.UserIdAsync("admin");
        using var admin = await SignedInAdminAsync();
        var own = await admin.GetAsync($"/admin/users/{adminId}");

        var page = await admin.SubmitAsync(own, "user-access", ("Input.Roles", TrialRoles.DataManager));

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains(MessagesNear(page, $"role-{TrialRoles.Administrator}"), m => m.Contains("cannot remove the Administrator role", StringComparison.Ordinal));
        Assert.Equal([TrialRoles.Administrator], await app.RoleNamesAsync(adminId));
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/admin/users", follow: false)).Status);
    }

    [Fact]
    public async Task An_administrator_cannot_disable_themselves()
    {
        var adminId = await app.UserIdAsync("admin");
        using var admin = await SignedInAdminAsync();
        var own = await admin.GetAsync($"/admin/users/{adminId}");

        var page = await admin.SubmitAsync(own, "user-disable");

        Assert.Contains("You cannot disable your own account.", page.Document.QuerySelector("[role=alert]")?.TextContent, StringComparison.Ordinal);
        Assert.False((await app.ReloadUserAsync(adminId)).IsDisabled);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/admin/users", follow: false)).Status);
    }

    [Fact]
    public async Task Issuing_a_one_time_password_clears_a_lockout_and_the_person_must_change_it()
    {
        var account = await app.CreateAccountAsync([TrialRoles.Investigator], "LON");
        using var person = app.NewBrowser();
        for (var i = 0; i < 5; i++)
        {
            await person.SignInAsync(account.Email, $"a wrong guess number {i}");
        }

        Assert.Equal("/Account/Lockout", (await person.SignInAsync(account.Email, account.Password)).Path);
        using var admin = await SignedInAdminAsync();
        var userPage = await admin.GetAsync($"/admin/users/{account.Id}");
        Assert.Contains("locked out", userPage.Document.QuerySelector("[data-testid=account-status]")!.TextContent, StringComparison.Ordinal);

        var issued = await admin.SubmitAsync(userPage, "user-password");

        var oneTimePassword = issued.Document.QuerySelector("[data-testid=one-time-password]")?.TextContent.Trim();
        Assert.False(string.IsNullOrEmpty(oneTimePassword));
        Assert.DoesNotContain("locked out", issued.Document.QuerySelector("[data-testid=account-status]")!.TextContent, StringComparison.Ordinal);
        var user = await app.ReloadUserAsync(account.Id);
        Assert.True(user.LockoutEnd is null || user.LockoutEnd <= DateTimeOffset.UtcNow);
        Assert.Equal(0, user.AccessFailedCount);
        Assert.True(user.MustChangePassword);

        using var again = app.NewBrowser();
        Assert.Equal("/Account/Login", (await again.SignInAsync(account.Email, account.Password)).Path);
        Assert.Equal("/Account/Manage/ChangePassword", (await again.SignInAsync(account.Email, oneTimePassword!)).Path);
    }

    [Fact]
    public async Task Issuing_a_one_time_password_ends_the_persons_open_sessions()
    {
        var account = await app.CreateAccountAsync([TrialRoles.DataManager]);
        using var person = app.NewBrowser();
        Assert.Equal("/", (await person.SignInAsync(account.Email, account.Password)).Path);

        using var admin = await SignedInAdminAsync();
        await admin.SubmitAsync(await admin.GetAsync($"/admin/users/{account.Id}"), "user-password");

        Assert.Equal("/Account/Login", (await person.GetAsync("/sites")).Path);
    }

    [Fact]
    public async Task An_unknown_user_id_is_a_404_page_not_an_error()
    {
        using var admin = await SignedInAdminAsync();
        var page = await admin.GetAsync($"/admin/users/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, page.Status);
        Assert.DoesNotContain("data-testid=\"account-status\"", page.Html, StringComparison.Ordinal);
    }

    /// <summary>Validation messages beside an input: in its own container, or, for a check box, in its fieldset.</summary>
    private static List<string> MessagesNear(Page page, string inputId)
    {
        var input = page.Document.GetElementById(inputId) ?? throw new InvalidOperationException($"No #{inputId} on {page.Path}");
        var container = input.Closest("fieldset") ?? input.ParentElement!;
        return [.. container.QuerySelectorAll(".validation-message").Select(e => e.TextContent.Trim())];
    }

    private static bool IsRefused(Page page)
    {
        var location = page.Response.Headers.Location?.ToString() ?? "";
        return page.Status == HttpStatusCode.Forbidden
            || (page.Status == HttpStatusCode.Redirect && location.Contains("/Account/AccessDenied", StringComparison.Ordinal));
    }

    private Task<int> CountUsersAsync() => app.WithDbAsync(db => db.Users.CountAsync());

    private async Task<TestBrowser> SignedInAsync(string local)
    {
        if (local is "admin" or "safety" && app.AuthenticatorKey(app.Account(local).Email) is null)
        {
            await app.EnrolAuthenticatorAsync(local);
        }

        var browser = app.NewBrowser();
        var home = await browser.SignInAsync(local);
        Assert.Equal("/", home.Path);
        return browser;
    }

    private Task<TestBrowser> SignedInAdminAsync() => SignedInAsync("admin");
}
