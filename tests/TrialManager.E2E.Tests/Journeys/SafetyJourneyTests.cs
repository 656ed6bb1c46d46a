using System.Globalization;
using Microsoft.Playwright;
using TrialManager.E2E.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace TrialManager.E2E.Tests.Journeys;

/// <summary>A serious adverse event from the site's report to the sponsor's SUSAR clock, in Chromium.</summary>
public class SafetyJourneyTests(BrowserApp app, ITestOutputHelper output) : IClassFixture<BrowserApp>
{
    [Fact]
    public async Task An_investigator_reports_a_serious_event_and_the_safety_officer_assesses_it_as_a_SUSAR_with_its_due_date()
    {
        await using var session = await app.NewSessionAsync(output);
        var page = session.Page;

        // The investigator registers a participant and reports a serious, possibly related, unexpected event.
        var investigator = app.Account("investigator");
        await page.GotoAsync("/participants");
        await AccountSteps.SubmitSignInAsync(page, investigator.Email, investigator.Password);
        await page.GetByRole(AriaRole.Link, new() { Name = "Register a participant" }).ClickAsync();
        await page.GetByLabel("Year of birth").FillAsync("1983");
        await page.GetByLabel("male", new() { Exact = true }).CheckAsync();
        await page.GetByLabel("Consent form version").FillAsync("2.0 of 2026-10-01");
        await page.GetByRole(AriaRole.Button, new() { Name = "Register" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("is registered");
        var number = (await page.GetByRole(AriaRole.Heading, new() { Level = 1 }).InnerTextAsync()).Replace("Participant ", "", StringComparison.Ordinal).Trim();

        await page.GetByRole(AriaRole.Link, new() { Name = "Report an adverse event" }).ClickAsync();
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(app.Clock.GetUtcNow(), TimeZoneInfo.FindSystemTimeZoneById("Europe/London")).DateTime)
            .ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await page.GetByLabel("Reported term").FillAsync("Seizure");
        await page.GetByLabel("Onset date").FillAsync(today);
        await page.GetByLabel("CTCAE 5.0 grade").SelectOptionAsync("3");
        await page.GetByLabel("Serious adverse event").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Report the event" }).ClickAsync();

        // Missing choices are named beside their fields, and what was typed stays; then the consistency rules speak.
        await Expect(page.Locator(".validation-message").First).ToContainTextAsync("Choose the investigator's causality assessment.");
        await Expect(page.GetByLabel("Reported term")).ToHaveValueAsync("Seizure");
        await Expect(page.GetByLabel("Serious adverse event")).ToBeCheckedAsync();
        await page.GetByLabel("Investigator's causality").SelectOptionAsync("PossiblyRelated");
        await page.GetByLabel("Action taken with study drug").SelectOptionAsync("DrugInterrupted");
        await page.GetByLabel("Outcome").SelectOptionAsync("Recovering");
        await page.GetByRole(AriaRole.Button, new() { Name = "Report the event" }).ClickAsync();
        await Expect(page.Locator(".validation-message")).ToContainTextAsync(["A serious event needs at least one seriousness criterion."]);
        await page.GetByLabel("Requires or prolongs hospital admission").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Report the event" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"Adverse event {number}-AE01 reported.");
        await Expect(page.GetByTestId("ae-flags")).ToContainTextAsync("Waiting for the sponsor's assessment");
        await Expect(page.GetByTestId("ae-clocks")).ToContainTextAsync("Met");
        await session.ScreenshotAsync("adverse-event-reported");
        await AccountSteps.SignOutAsync(page);

        // The safety officer sees it waiting, with the date it would be due as a SUSAR.
        var safety = app.Account("safety");
        await page.GotoAsync("/safety");
        await AccountSteps.SubmitSignInAsync(page, safety.Email, safety.Password);
        await AccountSteps.EnrolAuthenticatorAsync(app, session, safety.Email);
        await page.GotoAsync("/safety");
        var awaiting = page.GetByTestId("safety-awaiting");
        await Expect(awaiting).ToContainTextAsync($"{number}-AE01");
        await Expect(page.GetByTestId("safety-running")).ToContainTextAsync("None.");

        await awaiting.GetByRole(AriaRole.Link, new() { Name = $"{number}-AE01" }).ClickAsync();
        var provisional = (await page.GetByTestId("ae-provisional").Locator("strong").InnerTextAsync()).Trim();
        await page.GetByRole(AriaRole.Link, new() { Name = "Assess for the sponsor" }).ClickAsync();
        await page.GetByLabel("Sponsor's causality").SelectOptionAsync("Related");
        await page.GetByLabel("Unexpected").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Record the assessment" }).ClickAsync();
        await Expect(page.Locator(".validation-message")).ToContainTextAsync(["Give the reasons"]);
        await page.GetByLabel("Sponsor's causality").SelectOptionAsync("Related");
        await page.GetByLabel("Unexpected").CheckAsync();
        await page.GetByLabel("Rationale").FillAsync("Seizure is not in the reference safety information; temporal association with dosing.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record the assessment" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("assessed as a SUSAR");
        await Expect(page.GetByTestId("ae-flags")).ToContainTextAsync("SUSAR");
        await Expect(page.GetByTestId("ae-clocks")).ToContainTextAsync("Expedited SUSAR report");
        await Expect(page.GetByTestId("ae-clocks")).ToContainTextAsync(provisional);

        // The due date is on the dashboard, among the clocks running.
        await page.GotoAsync("/safety");
        var running = page.GetByTestId("safety-running");
        await Expect(running).ToContainTextAsync($"{number}-AE01");
        await Expect(running).ToContainTextAsync("Expedited SUSAR report");
        await Expect(running).ToContainTextAsync(provisional);
        await Expect(page.GetByTestId("safety-awaiting")).ToContainTextAsync("None.");
        await session.ScreenshotAsync("safety-dashboard-susar");
        await session.AssertNoBrowserOrServerErrorsAsync();
    }
}
