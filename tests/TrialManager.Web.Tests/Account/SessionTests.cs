using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TrialManager.Domain.Access;
using TrialManager.Web.Hosting;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Account;

/// <summary>
/// How sessions end: after inactivity, after the absolute lifetime whatever the activity, and at once when an
/// administrator disables the person or changes their access. Time is the app's TimeProvider (TrialApp.Clock), which
/// the cookie handler, the security-stamp check and the absolute-lifetime check all read.
/// </summary>
public class SessionTests(TrialApp app) : IClassFixture<TrialApp>
{
    private const string SignInRefusal = "The e-mail or password is not right, or the account cannot sign in.";

    private TrialManagerOptions Options => app.Services.GetRequiredService<IOptions<TrialManagerOptions>>().Value;

    [Fact]
    public async Task A_session_ends_after_the_idle_timeout_and_activity_keeps_it_alive_until_then()
    {
        var idle = TimeSpan.FromMinutes(Options.IdleTimeoutMinutes);
        var account = await app.CreateAccountAsync([TrialRoles.DataManager]);
        using var browser = app.NewBrowser();
        Assert.Equal("/", (await browser.SignInAsync(account.Email, account.Password)).Path);

        app.Clock.Advance(idle - TimeSpan.FromMinutes(1));
        var stillIn = await browser.GetAsync("/sites", follow: false);
        Assert.Equal(HttpStatusCode.OK, stillIn.Status);

        // Idle for just over the timeout, counted from the last request.
        app.Clock.Advance(idle + TimeSpan.FromMinutes(1));
        var after = await browser.GetAsync("/sites");
        Assert.Equal("/Account/Login", after.Path);
    }

    [Fact]
    public async Task A_session_ends_after_its_absolute_lifetime_however_active_it_is()
    {
        var lifetime = TimeSpan.FromHours(Options.AbsoluteSessionHours);
        var idle = TimeSpan.FromMinutes(Options.IdleTimeoutMinutes);
        // A request every (idle timeout - 2) minutes keeps the session alive as far as inactivity goes.
        var step = idle - TimeSpan.FromMinutes(2);
        Assert.True(step > TimeSpan.Zero && lifetime > idle, "The test needs an idle timeout over 2 minutes and shorter than the lifetime.");
        var account = await app.CreateAccountAsync([TrialRoles.DsmbMember]);
        using var browser = app.NewBrowser();
        Assert.Equal("/", (await browser.SignInAsync(account.Email, account.Password)).Path);

        var elapsed = TimeSpan.Zero;
        while (elapsed + step < lifetime)
        {
            app.Clock.Advance(step);
            elapsed += step;
            var page = await browser.GetAsync("/sites", follow: false);
            Assert.True(page.Status == HttpStatusCode.OK, $"Signed out after only {elapsed} of activity ({(int)page.Status} {page.Response.Headers.Location}).");
        }

        // Just past the lifetime, and still well inside the idle timeout since the last request.
        var last = lifetime - elapsed + TimeSpan.FromSeconds(30);
        Assert.True(last < idle);
        app.Clock.Advance(last);
        var ended = await browser.GetAsync("/sites");
        Assert.Equal("/Account/Login", ended.Path);

        // The cookie is gone for good: later requests stay signed out, and a fresh sign-in starts a new lifetime.
        Assert.Equal("/Account/Login", (await browser.GetAsync("/sites")).Path);
        Assert.Equal("/", (await browser.SignInAsync(account.Email, account.Password)).Path);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/sites", follow: false)).Status);
    }

    [Fact]
    public async Task Disabling_a_user_ends_their_open_session_and_they_cannot_sign_in_again()
    {
        var account = await app.CreateAccountAsync([TrialRoles.SiteCoordinator], "LON");
        using var person = app.NewBrowser();
        Assert.Equal("/", (await person.SignInAsync(account.Email, account.Password)).Path);

        using var admin = await SignedInAdminAsync();
        var userPage = await admin.GetAsync($"/admin/users/{account.Id}");
        var disabled = await admin.SubmitAsync(userPage, "user-disable");
        Assert.Contains("disabled", disabled.Document.QuerySelector("[data-testid=account-status]")!.TextContent, StringComparison.Ordinal);
        Assert.True((await app.ReloadUserAsync(account.Id)).IsDisabled);

        var next = await person.GetAsync("/sites");
        Assert.Equal("/Account/Login", next.Path);

        var again = await person.SignInAsync(account.Email, account.Password);
        Assert.Equal("/Account/Login", again.Path);
        Assert.Equal(SignInRefusal, again.Document.QuerySelector("[role=alert]")?.TextContent.Trim());
        Assert.Equal("/Account/Login", (await person.GetAsync("/")).Path);

        // Exactly what a wrong password gets: nothing tells an attacker the account exists but is disabled.
        using var guesser = app.NewBrowser();
        var wrong = await guesser.SignInAsync(app.Account("investigator").Email, "not the password of anyone here");
        Assert.Equal(wrong.Document.QuerySelector("[role=alert]")?.TextContent.Trim(), again.Document.QuerySelector("[role=alert]")?.TextContent.Trim());
    }

    [Fact]
    public async Task Changing_a_users_roles_ends_their_open_session_and_the_next_one_has_the_new_roles()
    {
        var account = await app.CreateAccountAsync([TrialRoles.DataManager]);
        using var person = app.NewBrowser();
        var before = await person.SignInAsync(account.Email, account.Password);
        Assert.Contains("Data manager", before.Document.QuerySelector("[data-testid=home-roles]")!.TextContent, StringComparison.Ordinal);

        using var admin = await SignedInAdminAsync();
        var userPage = await admin.GetAsync($"/admin/users/{account.Id}");
        var saved = await admin.SubmitAsync(userPage, "user-access", ("Input.Roles", TrialRoles.DsmbMember));
        Assert.Contains("Roles and sites saved", saved.Text, StringComparison.Ordinal);

        var next = await person.GetAsync("/sites");
        Assert.Equal("/Account/Login", next.Path);

        var after = await person.SignInAsync(account.Email, account.Password);
        var roles = after.Document.QuerySelector("[data-testid=home-roles]")!.TextContent;
        Assert.Contains("DSMB member", roles, StringComparison.Ordinal);
        Assert.DoesNotContain("Data manager", roles, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enabling_a_disabled_user_lets_them_sign_in_again()
    {
        var account = await app.CreateAccountAsync([TrialRoles.Investigator], "LON");
        using var admin = await SignedInAdminAsync();
        var userPage = await admin.GetAsync($"/admin/users/{account.Id}");
        userPage = await admin.SubmitAsync(userPage, "user-disable");
        Assert.True((await app.ReloadUserAsync(account.Id)).IsDisabled);

        userPage = await admin.SubmitAsync(userPage, "user-disable");
        Assert.False((await app.ReloadUserAsync(account.Id)).IsDisabled);
        using var person = app.NewBrowser();
        Assert.Equal("/", (await person.SignInAsync(account.Email, account.Password)).Path);
    }

    private async Task<TestBrowser> SignedInAdminAsync()
    {
        if (app.AuthenticatorKey(app.Account("admin").Email) is null)
        {
            await app.EnrolAuthenticatorAsync("admin");
        }

        var browser = app.NewBrowser();
        var home = await browser.SignInAsync("admin");
        Assert.Equal("/", home.Path);
        return browser;
    }
}
