using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using TrialManager.Domain.Access;
using TrialManager.E2E.Tests.Infrastructure;
using TrialManager.Web.Hosting;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace TrialManager.E2E.Tests.Journeys;

/// <summary>
/// The account pages as a real browser gets them: sign-in, the end of an idle session, the static assets under the CSP,
/// and the pages a person is held on before using the app (second-factor enrolment, replacing a one-time password).
/// </summary>
public class AccountPagesTests(BrowserApp app, ITestOutputHelper output) : IClassFixture<BrowserApp>
{
    [Fact]
    public async Task A_wrong_password_shows_the_message_next_to_the_form_and_keeps_the_email()
    {
        var account = app.Account("dsmb");
        await using var session = await app.NewSessionAsync(output);
        var page = session.Page;
        await page.GotoAsync(AccountSteps.LoginPath);

        await AccountSteps.SubmitSignInAsync(page, account.Email, "not the right password at all");

        await Expect(page).ToHaveURLAsync(AccountSteps.PathIs(AccountSteps.LoginPath));
        var card = page.Locator(".tm-account-card");
        var alert = card.GetByRole(AriaRole.Alert);
        await Expect(alert).ToHaveTextAsync("The e-mail or password is not right, or the account cannot sign in.");
        // The message sits in the sign-in card, right above the form it is about.
        await Expect(card.Locator("h1 + .alert + form")).ToHaveCountAsync(1);
        await Expect(page.GetByLabel("E-mail", new() { Exact = true })).ToHaveValueAsync(account.Email);
        await Expect(page.GetByLabel("Password", new() { Exact = true })).ToHaveValueAsync("");

        // The re-rendered form still works (fresh antiforgery token): the right password now signs in.
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(account.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(AccountSteps.PathIs("/"));
        await Expect(page.GetByTestId("home-roles")).ToHaveTextAsync("Signed in as DSMB member.");

        await session.AssertNoBrowserOrServerErrorsAsync();
    }

    [Fact]
    public async Task An_idle_session_ends_and_signing_in_again_returns_to_the_page_asked_for()
    {
        var account = app.Account("investigator");
        await using var session = await app.NewSessionAsync(output);
        var page = session.Page;
        await page.GotoAsync("/sites");
        await Expect(page).ToHaveURLAsync(AccountSteps.PathIs(AccountSteps.LoginPath));
        await AccountSteps.SubmitSignInAsync(page, account.Email, account.Password);
        await Expect(page).ToHaveURLAsync(AccountSteps.PathIs("/sites"));
        await Expect(page.GetByTestId("sites-table").Locator("tbody tr")).ToHaveCountAsync(1);

        // Fifteen idle minutes end the session (appsettings: IdleTimeoutMinutes). Idle means idle: every request, the
        // page's stylesheets and fonts too, renews the session cookie, so the clock moves only once they are all done.
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        app.Clock.Advance(TimeSpan.FromMinutes(16));
        await page.ReloadAsync();
        await Expect(page).ToHaveURLAsync(AccountSteps.PathIs(AccountSteps.LoginPath));
        Assert.Contains("returnurl=%2fsites", page.Url.ToLowerInvariant(), StringComparison.Ordinal);

        await AccountSteps.SubmitSignInAsync(page, account.Email, account.Password);
        await Expect(page).ToHaveURLAsync(AccountSteps.PathIs("/sites"));
        await session.AssertNoBrowserOrServerErrorsAsync();
    }

    [Fact]
    public async Task Pages_load_their_styles_fonts_and_script_under_the_content_security_policy()
    {
        var account = app.Account("datamanager");
        await using var session = await app.NewSessionAsync(output);
        var page = session.Page;
        var failed = new ConcurrentQueue<string>();
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                failed.Enqueue($"{response.Status} {response.Url}");
            }
        };
        page.RequestFailed += (_, request) => failed.Enqueue($"failed {request.Url}: {request.Failure}");

        var response = await page.GotoAsync(AccountSteps.LoginPath);
        Assert.NotNull(response);
        Assert.Equal(SecurityHeaders.ContentSecurityPolicy, await response.HeaderValueAsync("content-security-policy"));

        // Bootstrap's stylesheet: its primary button colour and its system font stack.
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in" })).ToHaveCSSAsync("background-color", "rgb(13, 110, 253)");
        await Expect(page.Locator("body")).ToHaveCSSAsync("font-family", new Regex("^system-ui"));

        await AccountSteps.SubmitSignInAsync(page, account.Email, account.Password);
        await Expect(page).ToHaveURLAsync(AccountSteps.PathIs("/"));

        // The dark top bar (Bootstrap's .bg-dark) and the 15rem side bar (the app's own app.css).
        await Expect(page.GetByRole(AriaRole.Banner)).ToHaveCSSAsync("background-color", "rgb(33, 37, 41)");
        await Expect(page.Locator("nav.tm-sidebar")).ToHaveCSSAsync("width", "240px");

        // The icon font is loaded (a blank square or nothing would show otherwise) and Bootstrap's script ran.
        await page.WaitForFunctionAsync("() => [...document.fonts].some(f => f.family.replaceAll('\"', '') === 'bootstrap-icons' && f.status === 'loaded')");
        await page.WaitForFunctionAsync("() => typeof window.bootstrap === 'object' && typeof window.bootstrap.Collapse === 'function'");

        await session.AssertNoBrowserOrServerErrorsAsync();
        Assert.Empty(failed);
    }

    [Fact]
    public async Task Signing_out_ends_the_session_even_for_a_copy_of_its_cookie()
    {
        var account = app.Account("datamanager");
        await using var session = await app.NewSessionAsync(output);
        var page = session.Page;
        await page.GotoAsync(AccountSteps.LoginPath);
        await AccountSteps.SubmitSignInAsync(page, account.Email, account.Password);
        await Expect(page).ToHaveURLAsync(AccountSteps.PathIs("/"));
        var cookie = (await session.Context.CookiesAsync()).Single(c => c.Name == "tm.session");

        await AccountSteps.SignOutAsync(page);
        // What a late response (a favicon, a font) does to the browser after sign-out: it stores the session cookie again.
        await session.Context.AddCookiesAsync([new() { Name = cookie.Name, Value = cookie.Value, Domain = cookie.Domain, Path = cookie.Path, HttpOnly = true }]);
        await page.GotoAsync("/");

        await Expect(page).ToHaveURLAsync(AccountSteps.PathIs(AccountSteps.LoginPath));
        await session.AssertNoBrowserOrServerErrorsAsync();
    }

    [Fact]
    public async Task A_first_visit_to_enrolment_keeps_the_person_signed_in()
    {
        var account = await app.CreateAccountAsync("first.enrolment", "Fay First", TrialRoles.SafetyOfficer);
        await using var session = await app.NewSessionAsync(output);
        await session.Page.GotoAsync(AccountSteps.LoginPath);
        await AccountSteps.SubmitSignInAsync(session.Page, account.Email, account.Password);

        await AccountSteps.EnrolAuthenticatorAsync(app, session, account.Email);

        await Expect(session.Page.GetByTestId("home-roles")).ToHaveTextAsync("Signed in as Safety officer.");
        await session.AssertNoBrowserOrServerErrorsAsync();
    }

    [Theory]
    [InlineData(AccountSteps.EnrolmentPath)]
    [InlineData(AccountSteps.ChangePasswordPath)]
    public async Task Pages_a_person_is_held_on_get_the_app_stylesheet(string heldOn)
    {
        var account = heldOn == AccountSteps.EnrolmentPath
            ? app.Account("safety")
            : await app.CreateAccountAsync("must.change", "Max Change", TrialRoles.DataManager, mustChangePassword: true);
        await using var session = await app.NewSessionAsync(output);
        await session.Page.GotoAsync("/");
        await AccountSteps.SubmitSignInAsync(session.Page, account.Email, account.Password);
        await Expect(session.Page).ToHaveURLAsync(AccountSteps.PathIs(heldOn));

        // app.css lays the shell out as a column (without it the page is unstyled); a held person gets no navigation,
        // since every link would only bring them back here.
        await Expect(session.Page.Locator(".tm-shell")).ToHaveCSSAsync("display", "flex");
        await Expect(session.Page.Locator("nav.tm-sidebar")).ToHaveCountAsync(0);
        await session.AssertNoBrowserOrServerErrorsAsync();
    }
}
