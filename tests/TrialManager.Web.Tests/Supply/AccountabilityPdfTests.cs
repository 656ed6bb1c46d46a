using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Documents.Tests;
using TrialManager.Domain.Supply;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Features.Supply;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Supply;

/// <summary>
/// The printable drug accountability log of a site, read back with poppler as a monitor would read it: every kit, the
/// balance and its reconciliation, the log with its running balance, a witnessed destruction, page numbering, no arm
/// anywhere, and the same access as the site's accountability page.
/// </summary>
public partial class AccountabilityPdfTests(TrialApp app) : IClassFixture<TrialApp>
{
    private const string Method = "Incineration by licensed contractor";

    private static async Task<byte[]> PdfAsync(TestBrowser browser, string url)
    {
        var response = await browser.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("application/pdf", response.Response.Content.Headers.ContentType?.MediaType);
        return await response.Response.Content.ReadAsByteArrayAsync();
    }

    private static void AssertRefused(Page refused) =>
        Assert.True(
            refused.Status == HttpStatusCode.Forbidden || (refused.Response.Headers.Location?.ToString() ?? "").Contains("/Account/AccessDenied", StringComparison.Ordinal),
            $"Expected a refusal, got {refused.Status} {refused.Response.Headers.Location}");

    /// <summary>Joins pdftotext's layout columns back into single-spaced text, so phrases can be looked for.</summary>
    private static string Flat(string text) => Spaces().Replace(text, " ");

    [Fact]
    public async Task The_log_prints_every_kit_the_balance_the_lines_and_the_destruction_for_site_staff_and_the_data_manager_and_no_arm()
    {
        var trial = await RandomizationTrial.CreateAsync(app, "ACC-PDF-1", kitsPerSite: 8);
        var lon = await app.SiteIdAsync("LON");
        var participants = await trial.AddEligibleParticipantsAsync(app, "LON", 2);
        foreach (var id in participants)
        {
            var randomized = await app.AsUserAsync("coordinator", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(id));
            Assert.True(randomized.Succeeded);
        }

        // One shelf kit quarantined, then destroyed by the coordinator and witnessed by the investigator.
        var shelfKit = await app.WithDbAsync(db => db.Kits.Where(k => k.TrialId == trial.TrialId && k.SiteId == lon && k.State == KitState.AtSite).OrderBy(k => k.Code).Select(k => k.Code).FirstAsync());
        var quarantined = await app.AsUserAsync("coordinator", s => s.GetRequiredService<RecordSiteKitEvent>().ExecuteAsync(trial.TrialId, lon, shelfKit, SiteKitAction.Quarantine, "Label torn"));
        Assert.True(quarantined.Succeeded);
        var recorded = await app.AsUserAsync("coordinator", s => s.GetRequiredService<RecordDestruction>().ExecuteAsync(trial.TrialId, lon, [shelfKit], Method, "", app.Account("coordinator").Password));
        Assert.True(recorded.Succeeded, string.Join(" ", recorded.Outcome.Errors.SelectMany(e => e.Value)));
        var witnessed = await app.AsUserAsync("investigator", s => s.GetRequiredService<WitnessDestruction>().ExecuteAsync(recorded.Value, app.Account("investigator").Password));
        Assert.True(witnessed.Succeeded, string.Join(" ", witnessed.Errors.SelectMany(e => e.Value)));

        var kits = await app.WithDbAsync(db => db.Kits.Where(k => k.TrialId == trial.TrialId && k.SiteId == lon).Select(k => k.Code).ToListAsync());
        Assert.Equal(8, kits.Count);
        var numbers = await app.WithDbAsync(db => db.Participants.Where(p => participants.Contains(p.Id)).Select(p => p.Number).ToListAsync());
        var units = trial.Protocol.Kits.UnitsPerKit;
        var balance = $"Received {8 * units} = on site {5 * units} + with participants {2 * units} + consumed 0 + destroyed {units} + lost 0";

        using var coordinator = app.NewBrowser();
        await coordinator.SignInAsync("coordinator");
        var url = $"/trials/{trial.Code}/sites/LON/accountability.pdf";
        var bytes = await PdfAsync(coordinator, url);
        Poppler.SavePngs(bytes, "accountability-log");
        var pages = Poppler.Pages(bytes);
        for (var i = 0; i < pages.Length; i++)
        {
            Assert.Contains($"Page {i + 1} of {pages.Length}", pages[i], StringComparison.Ordinal);
        }

        var text = Flat(string.Join("\n", pages));
        Assert.Contains("Drug accountability log", text, StringComparison.Ordinal);
        Assert.Contains(trial.Code, text, StringComparison.Ordinal);
        Assert.All(kits, code => Assert.Contains(code, text, StringComparison.Ordinal));
        Assert.All(numbers, number => Assert.Contains(number, text, StringComparison.Ordinal));
        Assert.Contains(balance, text, StringComparison.Ordinal);
        Assert.Contains("(the equation holds)", text, StringComparison.Ordinal);
        Assert.Contains("Reconciled: the log obeys the ledger rules", text, StringComparison.Ordinal);
        Assert.DoesNotContain("NOT RECONCILED", text, StringComparison.Ordinal);
        Assert.Contains("Kits by state", text, StringComparison.Ordinal);
        Assert.Contains("Witnessed destructions", text, StringComparison.Ordinal);
        Assert.Contains(Method, text, StringComparison.Ordinal);
        Assert.Contains("Casey Coordinator", text, StringComparison.Ordinal);
        Assert.Contains("Ines Investigator", text, StringComparison.Ordinal);
        Assert.Contains("Label torn", text, StringComparison.Ordinal);
        Assert.Contains("Initial stock", text, StringComparison.Ordinal);
        foreach (var secret in RandomizationTrial.ArmSecrets)
        {
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        }

        // The data manager reads every site's log; the document is the same content.
        using var manager = app.NewBrowser();
        await manager.SignInAsync("datamanager");
        var managerText = Flat(Poppler.Text(await PdfAsync(manager, url)));
        Assert.All(kits, code => Assert.Contains(code, managerText, StringComparison.Ordinal));
        Assert.Contains(balance, managerText, StringComparison.Ordinal);
        foreach (var secret in RandomizationTrial.ArmSecrets)
        {
            Assert.DoesNotContain(secret, managerText, StringComparison.OrdinalIgnoreCase);
        }

        // Both downloads are in the audit trail, scoped to the trial and site, with the content hash.
        var downloads = await app.WithDbAsync(db => db.AuditTrail
            .Where(e => e.Action == "DownloadPdf" && e.EntityType == "AccountabilityLog" && e.TrialId == trial.TrialId && e.SiteId == lon)
            .Select(e => e.Changes).ToListAsync());
        Assert.Equal(2, downloads.Count);
        Assert.All(downloads, d => Assert.Matches("\"ContentHash\":\"[0-9a-f]{64}\"", d));
    }

    [Fact]
    public async Task Another_sites_staff_and_the_supply_chain_and_safety_roles_are_refused()
    {
        var trial = await RandomizationTrial.CreateAsync(app, "ACC-PDF-2", kitsPerSite: 4);
        var lon = await app.SiteIdAsync("LON");
        var lonKits = await app.WithDbAsync(db => db.Kits.Where(k => k.TrialId == trial.TrialId && k.SiteId == lon).Select(k => k.Code).ToListAsync());
        Assert.NotEmpty(lonKits);
        var url = $"/trials/{trial.Code}/sites/LON/accountability.pdf";

        using var bos = app.NewBrowser();
        await bos.SignInAsync("coordinator.bos");
        // Another site's log is a 404, as on the page: the answer does not tell whether it exists.
        Assert.Equal(HttpStatusCode.NotFound, (await bos.GetAsync(url, follow: false)).Status);
        // Their own site's log holds nothing of London's.
        var bosText = Flat(Poppler.Text(await PdfAsync(bos, $"/trials/{trial.Code}/sites/BOS/accountability.pdf")));
        Assert.All(lonKits, code => Assert.DoesNotContain(code, bosText, StringComparison.Ordinal));

        using var depot = app.NewBrowser();
        await depot.SignInAsync("depot");
        AssertRefused(await depot.GetAsync(url, follow: false));

        await app.EnrolAuthenticatorAsync("safety");
        using var safety = app.NewBrowser();
        await safety.SignInAsync("safety");
        AssertRefused(await safety.GetAsync(url, follow: false));

        // An unknown site is a 404 like a foreign one, even for the data manager.
        using var manager = app.NewBrowser();
        await manager.SignInAsync("datamanager");
        Assert.Equal(HttpStatusCode.NotFound, (await manager.GetAsync($"/trials/{trial.Code}/sites/NOPE/accountability.pdf", follow: false)).Status);

        var refusedDownloads = await app.WithDbAsync(db => db.AuditTrail.CountAsync(e => e.Action == "DownloadPdf" && e.EntityType == "AccountabilityLog" && e.TrialId == trial.TrialId && e.SiteId == lon));
        Assert.Equal(0, refusedDownloads);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
