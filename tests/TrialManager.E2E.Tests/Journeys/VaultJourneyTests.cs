using Microsoft.Playwright;
using TrialManager.E2E.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace TrialManager.E2E.Tests.Journeys;

/// <summary>The safety officer reveals one participant through the vault; the investigator then sees "unblinded", never the arm.</summary>
public class VaultJourneyTests(BrowserApp app, ITestOutputHelper output) : IClassFixture<BrowserApp>
{
    /// <summary>The demo trial's arm labels and codes as the vault shows them (protocols/psilocybin-mdd.yaml).</summary>
    private static readonly string[] ArmWords = ["Psilocybin 1 mg per capsule", "Placebo capsule, identical", "(PSI)", "(PBO)"];

    [Fact]
    public async Task The_safety_officer_reveals_one_participant_and_the_investigator_sees_unblinded_but_no_arm()
    {
        await EnrolmentSteps.GenerateListAsAdministratorAsync(app, output);
        await using var session = await app.NewSessionAsync(output);
        var page = session.Page;

        // A coordinator enrols and randomizes one participant.
        var coordinator = app.Account("coordinator");
        await page.GotoAsync("/participants");
        await AccountSteps.SubmitSignInAsync(page, coordinator.Email, coordinator.Password);
        var number = await EnrolmentSteps.RegisterAsync(page, "1990");
        await EnrolmentSteps.CompleteDepressionScaleAsync(page, "SCR", EnrolmentSteps.BaselineModerate);
        await EnrolmentSteps.ScreenAsync(page, number, takesSsri: false);
        await page.GetByRole(AriaRole.Button, new() { Name = $"Randomize {number}" }).ClickAsync();
        await Expect(page.GetByTestId("randomization-number")).ToHaveTextAsync("R0001");
        var participantUrl = page.Url;
        await AccountSteps.SignOutAsync(page);

        // The safety officer confirms who they are, then reveals with a reason.
        var safety = app.Account("safety");
        await page.GotoAsync("/vault");
        await AccountSteps.SubmitSignInAsync(page, safety.Email, safety.Password);
        await AccountSteps.EnrolAuthenticatorAsync(app, session, safety.Email);
        await page.GotoAsync("/vault");
        await page.GetByTestId("reauth-needed").GetByRole(AriaRole.Link, new() { Name = "Confirm it is you" }).ClickAsync();
        await page.GetByLabel("Password").FillAsync(safety.Password);
        await page.GetByLabel("Authenticator code").FillAsync(app.Codes.Next(app.AuthenticatorKey(safety.Email)));
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(AccountSteps.PathIs("/vault"));
        await Expect(page.GetByTestId("reauth-needed")).ToHaveCountAsync(0);

        await page.GetByLabel("Participant number").FillAsync(number);
        await page.GetByLabel("Reason").SelectOptionAsync("SusarAssessment");
        await page.GetByLabel("Explanation").FillAsync("Causality assessment of a serious seizure");
        await page.GetByRole(AriaRole.Button, new() { Name = "Reveal the allocation" }).ClickAsync();
        var revealed = page.GetByTestId("revealed-arm");
        await Expect(revealed).ToContainTextAsync(number);
        var shown = await revealed.InnerTextAsync();
        Assert.Contains(ArmWords, w => shown.Contains(w, StringComparison.Ordinal));
        await Expect(page.GetByTestId("reveal-history")).ToContainTextAsync(number);
        await session.ScreenshotAsync("vault-revealed");
        await AccountSteps.SignOutAsync(page);

        // The investigator sees that the blind was broken, and by whom, but nothing of the arm.
        var investigator = app.Account("investigator");
        await page.GotoAsync(participantUrl);
        await AccountSteps.SubmitSignInAsync(page, investigator.Email, investigator.Password);
        await Expect(page.GetByTestId("unblinded")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("blind-status")).ToContainTextAsync("vault");
        var html = await page.ContentAsync();
        Assert.All(ArmWords, w => Assert.DoesNotContain(w, System.Text.RegularExpressions.Regex.Replace(html, "<[^>]+>", " "), StringComparison.Ordinal));
        await page.GotoAsync("/inbox");
        await Expect(page.GetByText($"{number} was unblinded").First).ToBeVisibleAsync();
        await session.ScreenshotAsync("investigator-sees-unblinded");
        await session.AssertNoBrowserOrServerErrorsAsync();
    }
}
