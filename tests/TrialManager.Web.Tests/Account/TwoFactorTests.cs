using System.Net;
using TrialManager.Domain.Access;
using TrialManager.Web.Tests.Authorization;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Account;

public class TwoFactorTests(TrialApp app) : IClassFixture<TrialApp>
{
    private const string EnrolmentPath = "/Account/Manage/EnableAuthenticator";

    public static TheoryData<string> RolesThatRequireTwoFactor => [.. TrialRoles.RequireTwoFactor.Order(StringComparer.Ordinal)];

    public static TheoryData<string> RolesThatDoNot => [.. TrialRoles.All.Where(r => !TrialRoles.RequireTwoFactor.Contains(r))];

    /// <summary>Every page that holds anything: all but the account area and the pages open to anonymous visitors (sign-in, errors, health).</summary>
    [Theory]
    [MemberData(nameof(RolesThatRequireTwoFactor))]
    public async Task Without_an_authenticator_every_page_outside_the_account_area_sends_them_to_enrolment(string role)
    {
        var account = await app.CreateAccountAsync([role]);
        using var browser = app.NewBrowser();
        var landed = await browser.SignInAsync(account.Email, account.Password);
        Assert.Equal(EnrolmentPath, landed.Path);

        var pages = AppRoutes.GetPages(app, await AuthorizationMatrixTests.RouteValuesAsync(app))
            .Where(p => !p.Route.AllowsAnonymous && !p.Url.StartsWith("/Account/", StringComparison.OrdinalIgnoreCase))
            .ToList();
        Assert.Contains(pages, p => p.Url == "/");
        Assert.Contains(pages, p => p.Url.StartsWith("/admin/", StringComparison.Ordinal));
        var problems = new List<string>();
        foreach (var (_, url, _) in pages)
        {
            var page = await browser.GetAsync(url, follow: false);
            if (page.Status != HttpStatusCode.Redirect || page.Response.Headers.Location?.ToString() != EnrolmentPath)
            {
                problems.Add($"{url}: {(int)page.Status} {page.Response.Headers.Location}");
            }
        }

        Assert.True(problems.Count == 0, $"{role} without a second factor reached:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
    }

    [Theory]
    [MemberData(nameof(RolesThatRequireTwoFactor))]
    public async Task Enrolling_through_the_page_shows_ten_recovery_codes_and_opens_the_app(string role)
    {
        var account = await app.CreateAccountAsync([role]);
        using var browser = app.NewBrowser();
        var enrolment = await browser.SignInAsync(account.Email, account.Password);
        Assert.Equal(EnrolmentPath, enrolment.Path);
        Assert.Contains("Your role requires a second factor", enrolment.Text, StringComparison.Ordinal);

        var key = AuthenticatorKey(enrolment);
        var done = await browser.SubmitAsync(enrolment, "enable-authenticator", ("Input.Code", app.Codes.Next(key)));

        Assert.Equal(HttpStatusCode.OK, done.Status);
        Assert.Contains("Your authenticator app is set up", done.Text, StringComparison.Ordinal);
        var codes = RecoveryCodes(done);
        Assert.Equal(10, codes.Count);
        Assert.Equal(10, codes.Distinct(StringComparer.Ordinal).Count());
        Assert.True((await app.ReloadUserAsync(account.Id)).TwoFactorEnabled);

        var home = await browser.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, home.Status);
        Assert.Equal("/", home.Path);
        Assert.Contains(TrialRoles.DisplayName(role), home.Document.QuerySelector("[data-testid=home-roles]")!.TextContent, StringComparison.Ordinal);
        var sites = await browser.GetAsync("/sites");
        Assert.Equal("/sites", sites.Path);
    }

    [Theory]
    [InlineData("wrong", "That code is not right")]
    [InlineData("12ab56", "The code is six digits")]
    [InlineData("", "Enter the code from your authenticator app")]
    public async Task A_wrong_code_keeps_them_on_the_enrolment_page_with_a_message_beside_the_field(string kind, string message)
    {
        var account = await app.CreateAccountAsync([TrialRoles.SafetyOfficer]);
        using var browser = app.NewBrowser();
        var enrolment = await browser.SignInAsync(account.Email, account.Password);
        var code = kind == "wrong" ? WrongCode(AuthenticatorKey(enrolment)) : kind;

        var page = await browser.SubmitAsync(enrolment, "enable-authenticator", ("Input.Code", code));

        Assert.Equal(EnrolmentPath, page.Path);
        Assert.Contains(page.MessagesFor("verification-code"), m => m.Contains(message, StringComparison.Ordinal));
        Assert.Null(page.Document.QuerySelector("[data-testid=recovery-codes]"));
        Assert.False((await app.ReloadUserAsync(account.Id)).TwoFactorEnabled);
        var home = await browser.GetAsync("/", follow: false);
        Assert.Equal(EnrolmentPath, home.Response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task Once_enrolled_the_next_sign_in_asks_for_the_code_and_refuses_a_wrong_one()
    {
        var account = await app.CreateAccountAsync([TrialRoles.Administrator]);
        var (key, _) = await EnrolAsync(account);

        using var browser = app.NewBrowser();
        var login = await browser.GetAsync("/Account/Login");
        var step = await browser.SubmitAsync(login, "login", ("Input.Email", account.Email), ("Input.Password", account.Password));
        Assert.Equal("/Account/LoginWith2fa", step.Path);

        // The password alone signs nobody in.
        var notYet = await browser.GetAsync("/", follow: false);
        Assert.Equal(HttpStatusCode.Redirect, notYet.Status);
        Assert.StartsWith("/Account/Login", notYet.Response.Headers.Location!.ToString().Replace("https://localhost", "", StringComparison.Ordinal), StringComparison.Ordinal);

        step = await browser.GetAsync("/Account/LoginWith2fa");
        var wrong = await browser.SubmitAsync(step, "login-2fa", ("Input.Code", WrongCode(key)));
        Assert.Equal("/Account/LoginWith2fa", wrong.Path);
        Assert.Contains("That code is not right", wrong.Text, StringComparison.Ordinal);

        var home = await browser.SubmitAsync(wrong, "login-2fa", ("Input.Code", app.Codes.Next(key)));
        Assert.Equal("/", home.Path);
        Assert.Equal(HttpStatusCode.OK, home.Status);
        var admin = await browser.GetAsync("/admin/users");
        Assert.Equal("/admin/users", admin.Path);
    }

    [Fact]
    public async Task An_authenticator_code_is_accepted_once_only()
    {
        var account = await app.CreateAccountAsync([TrialRoles.Administrator]);
        var (key, _) = await EnrolAsync(account);
        var code = app.Codes.Next(key);

        using (var first = app.NewBrowser())
        {
            var step = await first.SubmitAsync(await first.GetAsync("/Account/Login"), "login", ("Input.Email", account.Email), ("Input.Password", account.Password));
            var home = await first.SubmitAsync(step, "login-2fa", ("Input.Code", code));
            Assert.Equal("/", home.Path);
        }

        // The same code again, well within its 30-second step: someone who saw it cannot use it.
        using var second = app.NewBrowser();
        var again = await second.SubmitAsync(await second.GetAsync("/Account/Login"), "login", ("Input.Email", account.Email), ("Input.Password", account.Password));
        var replay = await second.SubmitAsync(again, "login-2fa", ("Input.Code", code));
        Assert.Equal("/Account/LoginWith2fa", replay.Path);
        Assert.Contains("That code is not right", replay.Text, StringComparison.Ordinal);

        var fresh = await second.SubmitAsync(replay, "login-2fa", ("Input.Code", app.Codes.Next(key)));
        Assert.Equal("/", fresh.Path);
    }

    [Fact]
    public async Task A_recovery_code_signs_in_once_and_only_once()
    {
        var account = await app.CreateAccountAsync([TrialRoles.SafetyOfficer]);
        var (_, codes) = await EnrolAsync(account);

        using (var first = app.NewBrowser())
        {
            var home = await SignInWithRecoveryCodeAsync(first, account, codes[0]);
            Assert.Equal("/", home.Path);
            Assert.Equal(HttpStatusCode.OK, home.Status);
            var manage = await first.GetAsync("/Account/Manage");
            Assert.Contains("9 recovery codes left", manage.Document.QuerySelector("[data-testid=two-factor-status]")!.TextContent, StringComparison.Ordinal);
        }

        using (var second = app.NewBrowser())
        {
            var refused = await SignInWithRecoveryCodeAsync(second, account, codes[0]);
            Assert.Equal("/Account/LoginWithRecoveryCode", refused.Path);
            Assert.Contains("not right, or it has been used already", refused.Text, StringComparison.Ordinal);
            var home = await second.GetAsync("/", follow: false);
            Assert.Equal(HttpStatusCode.Redirect, home.Status);

            var another = await second.SubmitAsync(refused, "login-recovery", ("Input.Code", codes[1]));
            Assert.Equal("/", another.Path);
        }
    }

    [Theory]
    [MemberData(nameof(RolesThatDoNot))]
    public async Task Other_roles_are_not_forced_to_enrol(string role)
    {
        var account = await app.CreateAccountAsync([role], TrialRoles.SiteScoped.Contains(role) ? ["LON"] : []);
        using var browser = app.NewBrowser();
        var home = await browser.SignInAsync(account.Email, account.Password);

        Assert.Equal("/", home.Path);
        Assert.Equal(HttpStatusCode.OK, home.Status);
        var sites = await browser.GetAsync("/sites");
        Assert.Equal("/sites", sites.Path);
        Assert.False((await app.ReloadUserAsync(account.Id)).TwoFactorEnabled);
    }

    private static string AuthenticatorKey(Page enrolment) =>
        enrolment.Document.QuerySelector("[data-testid=authenticator-key]")?.TextContent.Trim()
        ?? throw new InvalidOperationException($"No authenticator key on {enrolment.Path}");

    private static List<string> RecoveryCodes(Page page) =>
        [.. page.Document.QuerySelectorAll("[data-testid=recovery-codes] li").Select(li => li.TextContent.Trim()).Where(c => c.Length > 0)];

    /// <summary>A six-digit code that is not valid in any window the server accepts (now ± 90 s).</summary>
    private string WrongCode(string key)
    {
        var now = app.Clock.GetUtcNow();
        var valid = Enumerable.Range(-4, 9).Select(step => Totp.Code(key, now.AddSeconds(step * 30))).ToHashSet(StringComparer.Ordinal);
        return Enumerable.Range(0, 1000).Select(i => (123456 + (i * 7919)).ToString("D6", System.Globalization.CultureInfo.InvariantCulture)).First(c => !valid.Contains(c));
    }

    /// <summary>Enrols through the page as the person would, and returns the key and the recovery codes shown.</summary>
    private async Task<(string Key, List<string> Codes)> EnrolAsync(TestAccount account)
    {
        using var browser = app.NewBrowser();
        var enrolment = await browser.SignInAsync(account.Email, account.Password);
        Assert.Equal(EnrolmentPath, enrolment.Path);
        var key = AuthenticatorKey(enrolment);
        var done = await browser.SubmitAsync(enrolment, "enable-authenticator", ("Input.Code", app.Codes.Next(key)));
        var codes = RecoveryCodes(done);
        Assert.Equal(10, codes.Count);
        app.RememberAuthenticatorKey(account.Email, key);
        return (key, codes);
    }

    private static async Task<Page> SignInWithRecoveryCodeAsync(TestBrowser browser, TestAccount account, string code)
    {
        var login = await browser.GetAsync("/Account/Login");
        var step = await browser.SubmitAsync(login, "login", ("Input.Email", account.Email), ("Input.Password", account.Password));
        Assert.Equal("/Account/LoginWith2fa", step.Path);
        var link = step.Document.QuerySelector("a[href^='/Account/LoginWithRecoveryCode']")!.GetAttribute("href")!;
        var recovery = await browser.GetAsync(link);
        return await browser.SubmitAsync(recovery, "login-recovery", ("Input.Code", code));
    }
}
