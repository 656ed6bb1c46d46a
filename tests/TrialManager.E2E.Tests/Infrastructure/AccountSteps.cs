using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace TrialManager.E2E.Tests.Infrastructure;

/// <summary>The account pages as a person uses them: by their labels and buttons, never by posting forms directly.</summary>
public static partial class AccountSteps
{
    public const string LoginPath = "/Account/Login";
    public const string EnrolmentPath = "/Account/Manage/EnableAuthenticator";
    public const string ChangePasswordPath = "/Account/Manage/ChangePassword";

    /// <summary>An address whose path is exactly <paramref name="path"/> (any query string).</summary>
    public static Regex PathIs(string path) => new($"^https?://[^/]+{Regex.Escape(path)}(\\?.*)?$", RegexOptions.IgnoreCase);

    /// <summary>
    /// Waits until the page has stopped loading anything (its stylesheets, fonts and favicon too), as a person would
    /// before submitting a form that changes who they are signed in as. The app re-issues the session cookie on every
    /// response, static files included, so a response still in flight when the session changes (sign-out, enrolment, a
    /// new password) puts the old cookie back in the browser: see
    /// AccountPagesTests.Signing_out_ends_the_session_even_for_a_copy_of_its_cookie.
    /// </summary>
    public static Task SettleAsync(IPage page) => page.WaitForLoadStateAsync(LoadState.NetworkIdle);

    /// <summary>Fills and submits the sign-in form on the page the browser is on.</summary>
    public static async Task SubmitSignInAsync(IPage page, string email, string password)
    {
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await page.GetByLabel("E-mail", new() { Exact = true }).FillAsync(email);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    /// <summary>
    /// On the forced enrolment page: reads the key as a person would type it into an authenticator app, answers the
    /// current code, checks the recovery codes are shown and continues to home. Returns the key. With
    /// <paramref name="screenshot"/>, saves the enrolment page under that name first.
    /// </summary>
    public static async Task<string> EnrolAuthenticatorAsync(BrowserApp app, BrowserSession session, string email, string? screenshot = null)
    {
        var page = session.Page;
        await Expect(page).ToHaveURLAsync(PathIs(EnrolmentPath));
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "requires a second factor" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Img, new() { Name = "QR code for your authenticator app" })).ToBeVisibleAsync();
        if (screenshot is not null)
        {
            await session.ScreenshotAsync(screenshot);
        }

        var shown = await page.GetByTestId("authenticator-key").InnerTextAsync();
        var key = WhiteSpace().Replace(shown, "").ToUpperInvariant();
        Assert.Matches("^[A-Z2-7]{16,}$", key);

        await page.GetByLabel("Code", new() { Exact = true }).FillAsync(app.Codes.Next(key));
        await SettleAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Verify and turn on" }).ClickAsync();

        await Expect(page.GetByText("Your authenticator app is set up.")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("recovery-codes").GetByRole(AriaRole.Listitem)).ToHaveCountAsync(10);
        app.RememberAuthenticatorKey(email, key);

        await page.GetByRole(AriaRole.Main).GetByRole(AriaRole.Link, new() { Name = "Continue" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(PathIs("/"));
        return key;
    }

    /// <summary>On the authenticator-code step of sign-in, for an account that enrolled earlier in the same class.</summary>
    public static async Task EnterAuthenticatorCodeAsync(BrowserApp app, IPage page, string email)
    {
        await Expect(page).ToHaveURLAsync(PathIs("/Account/LoginWith2fa"));
        await page.GetByLabel("Code", new() { Exact = true }).FillAsync(app.Codes.Next(app.AuthenticatorKey(email)));
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
    }

    /// <summary>Signs out with the button in the top bar and waits for the sign-in page.</summary>
    public static async Task SignOutAsync(IPage page)
    {
        await SettleAsync(page);
        await page.GetByRole(AriaRole.Banner).GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(PathIs(LoginPath));
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
