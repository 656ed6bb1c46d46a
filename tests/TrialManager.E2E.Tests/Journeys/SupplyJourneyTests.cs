using System.Text.RegularExpressions;
using Microsoft.Playwright;
using TrialManager.E2E.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace TrialManager.E2E.Tests.Journeys;

/// <summary>
/// Drug supply end to end: the site holds back kits, the depot registers a lot and ships the resupply the check
/// proposes, the site receives it, and two different people destroy the held kits. Nobody sees an arm on the way.
/// </summary>
public class SupplyJourneyTests(BrowserApp app, ITestOutputHelper output) : IClassFixture<BrowserApp>
{
    private static readonly string[] ArmWords = ["Psilocybin 1 mg per capsule", "Placebo capsule, identical", "(PSI)", "(PBO)", "PSI:", "PBO:"];

    [Fact]
    public async Task A_resupply_is_shipped_and_received_and_held_kits_are_destroyed_by_two_people()
    {
        await EnrolmentSteps.GenerateListAsAdministratorAsync(app, output);
        await using var session = await app.NewSessionAsync(output);
        var page = session.Page;
        var accountability = "/trials/PSI-MDD-01/sites/LON/accountability";

        // The coordinator holds back five of the twelve initial kits: whichever arms they are, one arm drops below
        // the minimum of four, so the next resupply check must propose a shipment.
        var coordinator = app.Account("coordinator");
        await page.GotoAsync("/supply");
        await AccountSteps.SubmitSignInAsync(page, coordinator.Email, coordinator.Password);
        await page.GetByRole(AriaRole.Link, new() { Name = "PSI-MDD-01" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Accountability" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(AccountSteps.PathIs(accountability));
        await Expect(page.GetByTestId("reconciled")).ToBeVisibleAsync();
        var shelf = await page.GetByTestId("kits").Locator("tbody tr").Filter(new() { HasText = "AtSite" }).Locator("td:first-child").AllInnerTextsAsync();
        Assert.Equal(12, shelf.Count);
        var held = shelf.Take(5).ToList();
        foreach (var code in held)
        {
            await page.GetByLabel("Kit code").FillAsync(code);
            await page.GetByLabel("Event").SelectOptionAsync("Quarantine");
            await page.GetByLabel("Reason").FillAsync("Blister foil torn");
            await page.GetByRole(AriaRole.Button, new() { Name = "Record", Exact = true }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"Kit {code}");
        }

        await AccountSteps.SignOutAsync(page);

        // The depot manager registers a lot and runs the check; the proposed shipment is whole kit sets.
        var depot = app.Account("depot");
        await page.GotoAsync("/trials/PSI-MDD-01/supply");
        await AccountSteps.SubmitSignInAsync(page, depot.Email, depot.Password);
        await page.GetByRole(AriaRole.Link, new() { Name = "Register a lot" }).ClickAsync();
        await page.GetByLabel("Depot").SelectOptionAsync(new SelectOptionValue { Label = "EUD · Europe Clinical Supplies Depot" });
        await page.GetByLabel("Lot number").FillAsync("EUD-2026-07");
        await page.GetByLabel("Expiry date").FillAsync(DateTime.UtcNow.AddYears(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByLabel("Kit sets").FillAsync("20");
        await page.GetByRole(AriaRole.Button, new() { Name = "Register" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Lot EUD-2026-07 registered: 40 kits");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run the resupply check now" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("1 shipments proposed");
        await page.GetByTestId("shipments").GetByRole(AriaRole.Link, new() { Name = "No. 1" }).ClickAsync();
        await Expect(page.GetByTestId("shipment-status")).ToHaveTextAsync("Requested");
        var kitCount = await page.GetByTestId("packing-list").Locator("tbody tr").CountAsync();
        Assert.True(kitCount > 0 && kitCount % 2 == 0, $"a shipment is whole kit sets of two; it has {kitCount} kits");
        await page.GetByLabel("Carrier").FillAsync("World Courier");
        await page.GetByLabel("Tracking number (optional)").FillAsync("WC-123456");
        await page.GetByRole(AriaRole.Button, new() { Name = "Shipped" }).ClickAsync();
        await Expect(page.GetByTestId("shipment-status")).ToHaveTextAsync("Shipped");
        var shipmentUrl = page.Url;
        await session.ScreenshotAsync("shipment-shipped");
        AssertNoArm(await page.ContentAsync());
        await AccountSteps.SignOutAsync(page);

        // The coordinator receives it: answers are required, then every kit is counted in.
        await page.GotoAsync(shipmentUrl);
        await AccountSteps.SubmitSignInAsync(page, coordinator.Email, coordinator.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Record the receipt" }).ClickAsync();
        await Expect(page.GetByText("Say whether the outer packaging arrived intact.")).ToBeVisibleAsync();
        await page.Locator("#packaging-yes").CheckAsync();
        await page.Locator("#excursion-no").CheckAsync();
        await page.GetByLabel("Lowest °C (optional)").FillAsync("3.5");
        await page.GetByLabel("Highest °C (optional)").FillAsync("7");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record the receipt" }).ClickAsync();
        await Expect(page.GetByTestId("shipment-status")).ToHaveTextAsync("Received");

        // The held kits are destroyed: recorded by the coordinator, who cannot also witness.
        await page.GotoAsync(accountability);
        await Expect(page.GetByTestId("reconciled")).ToBeVisibleAsync();
        foreach (var code in held)
        {
            await page.GetByTestId("destroyable").GetByLabel(code).CheckAsync();
        }

        await page.GetByLabel("Method").FillAsync("Incineration by licensed contractor");
        await page.GetByLabel("Your password").FillAsync(coordinator.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Record the destruction" }).ClickAsync();
        await Expect(page.GetByTestId("destruction-status")).ToHaveTextAsync("AwaitingWitness");
        await Expect(page.GetByText("A second person, not you, must witness this destruction.")).ToBeVisibleAsync();
        var destructionUrl = page.Url;
        await AccountSteps.SignOutAsync(page);

        var investigator = app.Account("investigator");
        await page.GotoAsync(destructionUrl);
        await AccountSteps.SubmitSignInAsync(page, investigator.Email, investigator.Password);
        await page.GetByLabel("Your password").FillAsync(investigator.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Witness and sign" }).ClickAsync();
        await Expect(page.GetByTestId("destruction-status")).ToHaveTextAsync("Witnessed");
        await page.GotoAsync(accountability);
        await Expect(page.GetByTestId("reconciled")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("balance")).ToContainTextAsync("destroyed 50");
        await session.ScreenshotAsync("accountability-after-destruction");
        AssertNoArm(await page.ContentAsync());
        await session.AssertNoBrowserOrServerErrorsAsync();
    }

    private static void AssertNoArm(string html)
    {
        var text = Regex.Replace(html, "<[^>]+>", " ");
        Assert.All(ArmWords, w => Assert.DoesNotContain(w, text, StringComparison.Ordinal));
    }
}
