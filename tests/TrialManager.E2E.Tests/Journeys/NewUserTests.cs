using Microsoft.Playwright;
using TrialManager.E2E.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace TrialManager.E2E.Tests.Journeys;

/// <summary>An administrator creates an account; the new person signs in with the one-time password and replaces it.</summary>
public class NewUserTests(BrowserApp app, ITestOutputHelper output) : IClassFixture<BrowserApp>
{
    private const string NewEmail = "nia.newcomer@demo.trialmanager.test";
    private const string NewName = "Nia Newcomer";
    private const string NewPassword = "plum orchard under quiet rain";

    [Fact]
    public async Task An_administrator_creates_a_user_who_must_replace_the_one_time_password_at_first_sign_in()
    {
        var admin = app.Account("admin");
        await using var session = await app.NewSessionAsync(output);
        var page = session.Page;

        // The administrator signs in (enrolling the required authenticator) and opens the new-user form from the menu.
        await page.GotoAsync("/admin/users");
        await AccountSteps.SubmitSignInAsync(page, admin.Email, admin.Password);
        await AccountSteps.EnrolAuthenticatorAsync(app, session, admin.Email);
        await page.GetByTestId("side-nav").GetByRole(AriaRole.Link, new() { Name = "Users" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "New user" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(AccountSteps.PathIs("/admin/users/new"));

        await page.GetByLabel("E-mail", new() { Exact = true }).FillAsync(NewEmail);
        await page.GetByLabel("Printed name").FillAsync(NewName);
        var roles = page.GetByRole(AriaRole.Group, new() { Name = "Roles" });
        var sites = page.GetByRole(AriaRole.Group, new() { Name = "Sites" });
        await roles.GetByLabel("Investigator").CheckAsync();
        await sites.GetByLabel("LON · London Mood Research Unit").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create user" }).ClickAsync();

        var created = page.GetByRole(AriaRole.Status);
        await Expect(created).ToContainTextAsync($"The account for {NewEmail} was created.");
        var oneTimePassword = (await page.GetByTestId("one-time-password").InnerTextAsync()).Trim();
        Assert.Matches("^[a-z2-9]{5}(-[a-z2-9]{5}){3}$", oneTimePassword);

        // The users list shows the account with its role and site.
        await page.GetByRole(AriaRole.Link, new() { Name = "Back to users" }).ClickAsync();
        var row = page.GetByTestId("users-table").GetByRole(AriaRole.Row).Filter(new() { HasText = NewEmail });
        await Expect(row.GetByRole(AriaRole.Cell)).ToHaveTextAsync([NewName, NewEmail, "Investigator", "LON", "Active"]);

        await AccountSteps.SignOutAsync(page);
        // Signed out for real: home now asks for a sign-in again.
        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(AccountSteps.PathIs(AccountSteps.LoginPath));

        // The new person signs in with the one-time password and is held on the change-password page.
        await AccountSteps.SubmitSignInAsync(page, NewEmail, oneTimePassword);
        await Expect(page).ToHaveURLAsync(AccountSteps.PathIs(AccountSteps.ChangePasswordPath));
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Choose your own password to continue.");
        await page.GotoAsync("/sites");
        await Expect(page).ToHaveURLAsync(AccountSteps.PathIs(AccountSteps.ChangePasswordPath));

        await page.GetByLabel("Current password", new() { Exact = true }).FillAsync(oneTimePassword);
        await page.GetByLabel("New password", new() { Exact = true }).FillAsync(NewPassword);
        await page.GetByLabel("New password again", new() { Exact = true }).FillAsync(NewPassword);
        await AccountSteps.SettleAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();

        // A forced change leads straight on to the start page.
        await Expect(page).ToHaveURLAsync(AccountSteps.PathIs("/"));
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Your password was changed.");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync($"Welcome, {NewName}");
        await Expect(page.GetByTestId("home-roles")).ToHaveTextAsync("Signed in as Investigator.");
        await Expect(page.GetByTestId("home-sites").GetByRole(AriaRole.Link)).ToHaveTextAsync(["LON"]);

        // The one-time password is spent; the new one works.
        await AccountSteps.SignOutAsync(page);
        await AccountSteps.SubmitSignInAsync(page, NewEmail, oneTimePassword);
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not right");
        await AccountSteps.SubmitSignInAsync(page, NewEmail, NewPassword);
        await Expect(page).ToHaveURLAsync(AccountSteps.PathIs("/"));
        await AccountSteps.SignOutAsync(page);

        // The administrator, enrolled now, signs in with a code and finds the new account with no password to change.
        await AccountSteps.SubmitSignInAsync(page, admin.Email, admin.Password);
        await AccountSteps.EnterAuthenticatorCodeAsync(app, page, admin.Email);
        await Expect(page).ToHaveURLAsync(AccountSteps.PathIs("/"));
        await page.GotoAsync("/admin/users");
        await Expect(row.GetByRole(AriaRole.Cell).Last).ToHaveTextAsync("Active");

        await session.AssertNoBrowserOrServerErrorsAsync();
    }
}
