using Microsoft.Playwright;
using TrialManager.E2E.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace TrialManager.E2E.Tests.Journeys;

/// <summary>A site's first participants, from registration to adherence, in Chromium, all driven by the shipped protocol.</summary>
public class EnrolmentJourneyTests(BrowserApp app, ITestOutputHelper output) : IClassFixture<BrowserApp>
{
    [Fact]
    public async Task A_coordinator_enrols_screens_randomizes_records_forms_dispenses_and_sees_adherence()
    {
        await EnrolmentSteps.GenerateListAsAdministratorAsync(app, output);

        await using var session = await app.NewSessionAsync(output);
        var page = session.Page;
        var coordinator = app.Account("coordinator");
        await page.GotoAsync("/participants");
        await AccountSteps.SubmitSignInAsync(page, coordinator.Email, coordinator.Password);

        // One ineligible (takes an SSRI), one eligible.
        var ineligible = await EnrolmentSteps.RegisterAsync(page, "1979");
        await EnrolmentSteps.CompleteDepressionScaleAsync(page, "SCR", EnrolmentSteps.BaselineModerate);
        await EnrolmentSteps.ScreenAsync(page, ineligible, takesSsri: true);
        await Expect(page.GetByTestId("eligibility-result")).ToContainTextAsync("not eligible");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = $"Randomize {ineligible}" })).ToHaveCountAsync(0);

        var eligible = await EnrolmentSteps.RegisterAsync(page, "1988");
        await EnrolmentSteps.CompleteDepressionScaleAsync(page, "SCR", EnrolmentSteps.BaselineModerate);
        await EnrolmentSteps.ScreenAsync(page, eligible, takesSsri: false);
        await Expect(page.GetByTestId("eligibility-result")).ToContainTextAsync("eligible");
        var participantUrl = page.Url;

        await page.GetByRole(AriaRole.Button, new() { Name = $"Randomize {eligible}" }).ClickAsync();
        await Expect(page.GetByTestId("randomization-number")).ToHaveTextAsync("R0001");
        await Expect(page.GetByTestId("kits")).ToContainTextAsync("Randomization");

        // Baseline forms, then one correction that needs a reason.
        await EnrolmentSteps.CompleteDepressionScaleAsync(page, "D0", EnrolmentSteps.BaselineModerate);
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
}
