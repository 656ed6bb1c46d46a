using System.Net;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Account;

public class SignInTests(TrialApp app) : IClassFixture<TrialApp>
{
    [Theory]
    [InlineData("coordinator", "Site coordinator")]
    [InlineData("investigator", "Investigator")]
    [InlineData("dsmb", "DSMB member")]
    [InlineData("datamanager", "Data manager")]
    public async Task Each_role_without_a_second_factor_requirement_signs_in_to_home(string local, string roleName)
    {
        using var browser = app.NewBrowser();
        var home = await browser.SignInAsync(local);

        Assert.Equal(HttpStatusCode.OK, home.Status);
        Assert.Equal("/", home.Path);
        Assert.Contains(roleName, home.Document.QuerySelector("[data-testid=home-roles]")!.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Anonymous_visitors_are_sent_to_sign_in_with_a_return_address()
    {
        using var browser = app.NewBrowser();
        var page = await browser.GetAsync("/sites");

        Assert.Equal("/Account/Login", page.Path);
        Assert.Contains("ReturnUrl=%2Fsites", page.Url.Query, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Sign_in_returns_to_the_page_asked_for_but_never_to_another_site()
    {
        using var browser = app.NewBrowser();
        var account = app.Account("datamanager");
        var login = await browser.GetAsync("/Account/Login?returnUrl=%2Fsites");
        var page = await browser.SubmitAsync(login, "login", ("Input.Email", account.Email), ("Input.Password", account.Password));
        Assert.Equal("/sites", page.Path);

        foreach (var hostile in new[] { "https://evil.example/", "//evil.example", "/\\evil.example", "/\t/evil.example", "/\r\n//evil.example" })
        {
            using var second = app.NewBrowser();
            var form = await second.GetAsync("/Account/Login?returnUrl=" + Uri.EscapeDataString(hostile));
            var landed = await second.SubmitAsync(form, "login", [new("Input.Email", account.Email), new("Input.Password", account.Password)], follow: false);
            Assert.Equal(HttpStatusCode.Redirect, landed.Status);
            var location = landed.Response.Headers.Location!.ToString();
            Assert.True(location is "/" or "https://localhost/", $"{hostile} redirected to {location}");
        }
    }

    [Fact]
    public async Task A_wrong_password_gets_one_plain_message_and_keeps_the_email()
    {
        using var browser = app.NewBrowser();
        var login = await browser.GetAsync("/Account/Login");
        var page = await browser.SubmitAsync(login, "login", ("Input.Email", app.Account("dsmb").Email), ("Input.Password", "not the right password at all"));

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("/Account/Login", page.Path);
        Assert.Contains("e-mail or password is not right", page.Text, StringComparison.Ordinal);
        Assert.Equal(app.Account("dsmb").Email, page.ValueOf("login-email"));
    }

    public static TheoryData<string, string, string, string> BadInput => new()
    {
        { "", "", "login-email", "Enter your e-mail address." },
        { "someone@example.org", "", "login-password", "Enter your password." },
        { new string('a', 10_000) + "@example.org", "x", "login-email", "at most 256" },
        { "someone@example.org", new string('p', 10_240), "login-password", "longer than any password" },
        { "' OR '1'='1' --", "' OR '1'='1' --", "login-email", "Enter an e-mail address" },
        { "admin@example.org'; DROP TABLE \"AspNetUsers\"; --", "x", "", "" },
        { "ユーザー@例え.jp", "пароль-пароль-пароль", "", "" },
        { "<script>alert(1)</script>", "<script>alert(1)</script>", "login-email", "Enter an e-mail address" },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public async Task Bad_sign_in_input_gets_a_message_never_a_server_error(string email, string password, string field, string message)
    {
        using var browser = app.NewBrowser();
        var login = await browser.GetAsync("/Account/Login");
        var page = await browser.SubmitAsync(login, "login", ("Input.Email", email), ("Input.Password", password));

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("/Account/Login", page.Path);
        Assert.DoesNotContain("<script>alert(1)</script>", page.Html, StringComparison.Ordinal);
        if (field.Length > 0)
        {
            Assert.Contains(page.MessagesFor(field), m => m.Contains(message, StringComparison.Ordinal));
        }
        else
        {
            Assert.Contains("not right", page.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Control_characters_in_sign_in_are_refused_without_a_server_error()
    {
        using var browser = app.NewBrowser();
        var login = await browser.GetAsync("/Account/Login");
        var page = await browser.SubmitAsync(login, "login", ("Input.Email", "a\u0000b@example.org"), ("Input.Password", "\u0001\u0002\u001b[2J"));

        // A NUL byte makes the form unreadable, so the request is refused as malformed (400); never a 500.
        Assert.True((int)page.Status is >= 200 and < 500, $"got {(int)page.Status}");
        var home = await browser.GetAsync("/");
        Assert.Equal("/Account/Login", home.Path);
    }

    [Fact]
    public async Task Five_wrong_passwords_lock_the_account_even_against_the_right_one()
    {
        var account = app.Account("coordinator.bos");
        using var browser = app.NewBrowser();
        for (var i = 0; i < 5; i++)
        {
            var login = await browser.GetAsync("/Account/Login");
            await browser.SubmitAsync(login, "login", ("Input.Email", account.Email), ("Input.Password", $"wrong password number {i}"));
        }

        var page = await browser.SignInAsync(account.Email, account.Password);
        Assert.Equal("/Account/Lockout", page.Path);
        Assert.Contains("locked", page.Text, StringComparison.OrdinalIgnoreCase);

        var home = await browser.GetAsync("/");
        Assert.Equal("/Account/Login", home.Path);
    }

    [Fact]
    public async Task Sign_out_ends_the_session()
    {
        using var browser = app.NewBrowser();
        var home = await browser.SignInAsync("investigator");
        await browser.SignOutAsync(home);

        var after = await browser.GetAsync("/sites");
        Assert.Equal("/Account/Login", after.Path);
    }

    [Fact]
    public async Task Sign_out_without_an_antiforgery_token_is_refused()
    {
        using var browser = app.NewBrowser();
        await browser.SignInAsync("investigator");
        var refused = await browser.PostAsync("/Account/Logout", [], follow: false);
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);

        var stillIn = await browser.GetAsync("/sites");
        Assert.Equal("/sites", stillIn.Path);
    }
}
