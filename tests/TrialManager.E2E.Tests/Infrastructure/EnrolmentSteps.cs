using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace TrialManager.E2E.Tests.Infrastructure;

/// <summary>Steps of enrolment the journeys share: generating the list, registering, completing a scale, screening.</summary>
public static class EnrolmentSteps
{
    /// <summary>Answers to the 9-item depression scale that give a moderate baseline.</summary>
    public static readonly string[] BaselineModerate = ["1", "2", "1", "2", "1", "1", "2", "1", "1"];

    public static async Task GenerateListAsAdministratorAsync(BrowserApp app, ITestOutputHelper output)
    {
        await using var session = await app.NewSessionAsync(output);
        var admin = app.Account("admin");
        await session.Page.GotoAsync("/trials/PSI-MDD-01");
        await AccountSteps.SubmitSignInAsync(session.Page, admin.Email, admin.Password);
        await AccountSteps.EnrolAuthenticatorAsync(app, session, admin.Email);
        await session.Page.GotoAsync("/trials/PSI-MDD-01");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Generate the randomization list and kits" }).ClickAsync();
        await Expect(session.Page.GetByTestId("commitment")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[0-9a-f]{64}$"));
        await AccountSteps.SignOutAsync(session.Page);
    }

    /// <summary>Registers from the participants page and returns the number given.</summary>
    public static async Task<string> RegisterAsync(IPage page, string yearOfBirth)
    {
        await page.GotoAsync("/participants");
        await page.GetByRole(AriaRole.Link, new() { Name = "Register a participant" }).ClickAsync();
        await page.GetByLabel("Year of birth").FillAsync(yearOfBirth);
        await page.GetByLabel("female", new() { Exact = true }).CheckAsync();
        await page.GetByLabel("Consent form version").FillAsync("2.0 of 2026-10-01");
        await page.GetByRole(AriaRole.Button, new() { Name = "Register" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("is registered");
        var heading = await page.GetByRole(AriaRole.Heading, new() { Level = 1 }).InnerTextAsync();
        return heading.Replace("Participant ", "", StringComparison.Ordinal).Trim();
    }

    /// <summary>From the participant page: the 9-item depression scale of a visit, every item, then Mark complete.</summary>
    public static async Task CompleteDepressionScaleAsync(IPage page, string visit, string[] items)
    {
        await page.Locator($"a[href$='/visits/{visit}/forms/DEP9']").First.ClickAsync();
        for (var i = 0; i < items.Length; i++)
        {
            await page.Locator($"#field-d{i + 1}-{items[i]}").CheckAsync();
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Mark complete" }).ClickAsync();
        await Expect(page.GetByTestId("form-status")).ToHaveTextAsync("Complete");
        await page.GetByRole(AriaRole.Link, new() { Name = "Back to" }).ClickAsync();
    }

    public static async Task ScreenAsync(IPage page, string number, bool takesSsri)
    {
        await page.GetByRole(AriaRole.Link, new() { Name = $"Screen {number}" }).ClickAsync();
        await page.Locator("#q-INC-AGE").FillAsync("37");
        foreach (var yes in new[] { "INC-CONSENT", "INC-EPISODE" })
        {
            await page.Locator($"#q-{yes}-yes").CheckAsync();
        }

        foreach (var no in new[] { "EXC-PSYCHOSIS", "EXC-FAMILY", "EXC-SSRI", "EXC-MAOI", "EXC-LITHIUM", "EXC-VALVE", "EXC-SUICIDE", "EXC-PSYCHEDELIC" })
        {
            await page.Locator($"#q-{no}-{(no == "EXC-SSRI" && takesSsri ? "yes" : "no")}").CheckAsync();
        }

        await page.Locator("#q-EXC-PREGNANCY").SelectOptionAsync("not_applicable");
        await page.GetByRole(AriaRole.Button, new() { Name = "Evaluate eligibility" }).ClickAsync();
    }
}
