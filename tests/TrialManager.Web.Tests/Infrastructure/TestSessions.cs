namespace TrialManager.Web.Tests.Infrastructure;

/// <summary>Signing in as a demo role (with the second factor where the role needs one) and confirming who one is again.</summary>
public static class TestSessions
{
    public static async Task<TestBrowser> SignedInAsync(this TrialApp app, string local)
    {
        if (local is "safety" or "admin" && app.AuthenticatorKey(app.Account(local).Email) is null)
        {
            await app.EnrolAuthenticatorAsync(local);
        }

        var browser = app.NewBrowser();
        Assert.Equal("/", (await browser.SignInAsync(local)).Path);
        return browser;
    }

    /// <summary>The re-authentication a reveal or an approval needs: password, and a fresh authenticator code when enrolled.</summary>
    public static async Task ReauthenticateAsync(this TrialApp app, TestBrowser browser, string local, string returnUrl)
    {
        var page = await browser.GetAsync($"/Account/Reauthenticate?returnUrl={Uri.EscapeDataString(returnUrl)}");
        var account = app.Account(local);
        var fields = new List<(string, string)> { ("Password", account.Password) };
        if (app.AuthenticatorKey(account.Email) is { } key)
        {
            fields.Add(("Code", app.Codes.Next(key)));
        }

        var done = await browser.SubmitAsync(page, "reauthenticate", [.. fields]);
        Assert.Equal(returnUrl, done.Path);
    }
}
