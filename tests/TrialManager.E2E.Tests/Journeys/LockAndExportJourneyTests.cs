using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using TrialManager.E2E.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace TrialManager.E2E.Tests.Journeys;

/// <summary>
/// The end of a trial in the browser: the data manager hard-locks the database, the site's forms disappear behind the
/// lock banner, and the data manager downloads the blinded CSV export, whose name carries the start of its hash and
/// whose record lists the whole hash. The unblinded exports stay closed until final unblinding.
/// </summary>
public partial class LockAndExportJourneyTests(BrowserApp app, ITestOutputHelper output) : IClassFixture<BrowserApp>
{
    [GeneratedRegex(@"^PSI-MDD-01_csv_blinded_\d{8}T\d{6}Z_([0-9a-f]{16})\.zip$")]
    private static partial Regex BlindedCsvName();

    [Fact]
    public async Task The_data_manager_locks_the_database_and_takes_a_hashed_blinded_export()
    {
        await using var session = await app.NewSessionAsync(output);
        var page = session.Page;
        var manager = app.Account("datamanager");
        await page.GotoAsync("/trials/PSI-MDD-01");
        await AccountSteps.SubmitSignInAsync(page, manager.Email, manager.Password);
        await page.GetByTestId("lock-link").ClickAsync();
        await Expect(page.GetByTestId("lock-level")).ToContainTextAsync("open");

        // A lock without a reason is refused beside the field, and the choice is kept.
        await page.GetByLabel("hard-locked").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Lock", Exact = true }).ClickAsync();
        await Expect(page.GetByText("Give the reason (10 to 2000 characters).")).ToBeVisibleAsync();
        await Expect(page.GetByLabel("hard-locked")).ToBeCheckedAsync();
        await page.Locator("#lock-reason").FillAsync("Last participant's last visit entered and every query closed");
        await page.GetByRole(AriaRole.Button, new() { Name = "Lock", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Locked.");
        await Expect(page.GetByTestId("lock-level")).ToContainTextAsync("hard-locked");
        await Expect(page.GetByTestId("lock-history")).ToContainTextAsync("open → hard-locked");
        await session.ScreenshotAsync("hard-locked");

        await page.GotoAsync("/trials/PSI-MDD-01");
        await Expect(page.GetByTestId("lock-banner")).ToContainTextAsync("Nothing in this trial can change.");
        await page.GetByTestId("exports-link").ClickAsync();
        await Expect(page.GetByTestId("export-lock")).ToContainTextAsync("Exports now are final.");
        await Expect(page.GetByTestId("unblinded-exports")).ToContainTextAsync("Unblinded exports open only after final unblinding");
        await Expect(page.GetByTestId("csv-unblinded")).ToHaveCountAsync(0);

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("csv-blinded").ClickAsync());
        var name = download.SuggestedFilename;
        var match = BlindedCsvName().Match(name);
        Assert.True(match.Success, name);
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid() + ".zip");
        await download.SaveAsAsync(path);
        try
        {
            var bytes = await File.ReadAllBytesAsync(path);
            var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
            Assert.StartsWith(match.Groups[1].Value, hash, StringComparison.Ordinal);
            using var zip = new ZipArchive(new MemoryStream(bytes));
            Assert.Contains(zip.Entries, e => e.FullName == "manifest.csv");
            Assert.Contains(zip.Entries, e => e.FullName == "data_dictionary.csv");

            // The record of the file lists it with its whole hash.
            await page.ReloadAsync();
            await Expect(page.GetByTestId("export-history")).ToContainTextAsync(name);
            await Expect(page.GetByTestId("export-history")).ToContainTextAsync(hash);
        }
        finally
        {
            File.Delete(path);
        }

        await session.AssertNoBrowserOrServerErrorsAsync();
    }
}
