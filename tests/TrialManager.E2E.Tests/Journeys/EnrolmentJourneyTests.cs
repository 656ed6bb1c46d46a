using Microsoft.Playwright;
using TrialManager.E2E.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace TrialManager.E2E.Tests.Journeys;

/// <summary>A site's first participants, from registration to adherence, in Chromium, all driven by the shipped protocol.</summary>
public class EnrolmentJourneyTests(BrowserApp app, ITestOutputHelper output) : IClassFixture<BrowserApp>
{
    private static readonly string[] BaselineModerate = ["1", "2", "1", "2", "1", "1", "2", "1", "1"];

    [Fact]
    public async Task A_coordinator_enrols_screens_randomizes_records_forms_dispenses_and_sees_adherence()
    {
        await GenerateListAsAdministratorAsync();

        await using var session = await app.NewSessionAsync(output);
        var page = session.Page;
        var coordinator = app.Account("coordinator");
        await page.GotoAsync("/participants");
        await AccountSteps.SubmitSignInAsync(page, coordinator.Email, coordinator.Password);

        // One ineligible (takes an SSRI), one eligible.
        var ineligible = await RegisterAsync(page, "1979");
        await CompleteDepressionScaleAsync(page, "SCR", BaselineModerate);
        await ScreenAsync(page, ineligible, takesSsri: true);
        await Expect(page.GetByTestId("eligibility-result")).ToContainTextAsync("not eligible");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = $"Randomize {ineligible}" })).ToHaveCountAsync(0);

        var eligible = await RegisterAsync(page, "1988");
        await CompleteDepressionScaleAsync(page, "SCR", BaselineModerate);
        await ScreenAsync(page, eligible, takesSsri: false);
        await Expect(page.GetByTestId("eligibility-result")).ToContainTextAsync("eligible");
        var participantUrl = page.Url;

        await page.GetByRole(AriaRole.Button, new() { Name = $"Randomize {eligible}" }).ClickAsync();
        await Expect(page.GetByTestId("randomization-number")).ToHaveTextAsync("R0001");
        await Expect(page.GetByTestId("kits")).ToContainTextAsync("Randomization");

        // Baseline forms, then one correction that needs a reason.
        await CompleteDepressionScaleAsync(page, "D0", BaselineModerate);
        await page.Locator("a[href$='/visits/D0/forms/DEP9']").First.ClickAsync();
        await page.Locator("#field-d3-3").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save correction" }).ClickAsync();
        await Expect(page.Locator(".validation-message")).ToContainTextAsync("give the reason for the change");
        await Expect(page.Locator("#field-d3-3")).ToBeCheckedAsync();
        await page.GetByLabel("Reason for change").FillAsync("Participant re-read the item; answer corrected at the visit");
        await page.Locator("#field-d3-3").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save correction" }).ClickAsync();
        await Expect(page.GetByTestId("scores")).ToContainTextAsync("14");

        // A kit at the week-3 dispensing visit.
        await page.GotoAsync(participantUrl);
        await page.GetByLabel("Dispense at visit").SelectOptionAsync("W3");
        await page.GetByRole(AriaRole.Button, new() { Name = "Dispense a kit" }).ClickAsync();
        await Expect(page.GetByTestId("kits").Locator("tbody tr")).ToHaveCountAsync(2);

        // Ten days on, the diary: doses were due on days 1, 4, 7 and 10; three were taken.
        app.Clock.Advance(TimeSpan.FromDays(10));
        await page.GotoAsync(participantUrl);
        await AccountSteps.SubmitSignInAsync(page, coordinator.Email, coordinator.Password);
        foreach (var (day, taken) in new[] { ("1", true), ("4", true), ("7", true), ("10", false) })
        {
            await page.GetByLabel("Study day").FillAsync(day);
            await page.GetByRole(AriaRole.Button, new() { Name = taken ? "Dose taken" : "Dose missed" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Diary entry recorded.");
        }

        await Expect(page.GetByTestId("adherence")).ToContainTextAsync("75 %");
        await Expect(page.GetByTestId("adherence")).ToContainTextAsync("below 80 %");
        await session.ScreenshotAsync("participant-after-ten-days");
        await session.AssertNoBrowserOrServerErrorsAsync();
        await AccountSteps.SignOutAsync(page);

        // Another site's staff cannot see the participant, nor find them in their lists.
        var other = app.Account("coordinator.bos");
        await AccountSteps.SubmitSignInAsync(page, other.Email, other.Password);
        await page.GotoAsync(participantUrl);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("not found");
        await page.GotoAsync("/participants");
        await Expect(page.GetByText(eligible)).ToHaveCountAsync(0);
    }

    private async Task GenerateListAsAdministratorAsync()
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
    private static async Task<string> RegisterAsync(IPage page, string yearOfBirth)
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
    private static async Task CompleteDepressionScaleAsync(IPage page, string visit, string[] items)
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

    private static async Task ScreenAsync(IPage page, string number, bool takesSsri)
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
