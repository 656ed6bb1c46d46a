using System.Globalization;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Documents.Tests;
using TrialManager.Domain.Supply;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Dsmb;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Features.Unblinding;
using TrialManager.Web.Tests.Account;
using TrialManager.Web.Tests.Infrastructure;
using TrialManager.Web.Tests.Safety;

namespace TrialManager.Web.Tests.Dsmb;

/// <summary>
/// The DSMB reports on the real app: twelve participants randomized, dosed, scored, with adverse events and
/// withdrawals, all through the real operations. The closed report's numbers by arm are checked against arms read
/// independently here; the open report must hold no arm and no number by arm; the closed report is refused to
/// blinded roles and every view is audited without an arm.
/// </summary>
public class DsmbReportTests(TrialApp app) : IClassFixture<TrialApp>
{
    private const string TrialCode = "DSMB-RPT-01";
    private const string ClosedUrl = $"/trials/{TrialCode}/dsmb/closed";
    private const string OpenUrl = $"/trials/{TrialCode}/dsmb/open";
    private static readonly SemaphoreSlim Once = new(1, 1);
    private static Scenario? _scenario;

    private sealed record Scenario(Guid TrialId, IReadOnlyList<Guid> Randomized, IReadOnlyDictionary<Guid, string> Arms, byte[] ClosedPdf, byte[] OpenPdf);

    private async Task<Scenario> ScenarioAsync()
    {
        await Once.WaitAsync();
        try
        {
            return _scenario ??= await CreateAsync();
        }
        finally
        {
            Once.Release();
        }
    }

    private async Task<Scenario> CreateAsync()
    {
        var trial = await RandomizationTrial.CreateAsync(app, TrialCode, kitsPerSite: 20, slotsPerStratum: 12);
        var ids = await trial.AddEligibleParticipantsAsync(app, "LON", 12);
        await trial.AddEligibleParticipantsAsync(app, "LON", 2); // consented, never randomized
        foreach (var id in ids)
        {
            var randomized = await app.AsUserAsync("coordinator", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(id));
            Assert.True(randomized.Succeeded, SafetyScenario.Describe(randomized.Outcome));
        }

        for (var i = 0; i < 8; i++)
        {
            await SaveDep9Async(ids[i], "D0", 10 + i);
        }

        var kit = await app.WithDbAsync(db => db.Dispensings.Where(d => d.ParticipantId == ids[4]).Select(d => d.KitCode).SingleAsync());
        var replaced = await app.AsUserAsync("coordinator", s => s.GetRequiredService<DispenseKit>().ReplaceAsync(ids[4], kit, KitState.Damaged, unitsLeft: "7"));
        Assert.True(replaced.Succeeded, SafetyScenario.Describe(replaced.Outcome));

        app.Clock.Advance(TimeSpan.FromDays(8));
        for (var i = 0; i < 6; i++)
        {
            await SaveDep9Async(ids[i], "W1", 14 - (2 * i));
        }

        for (var i = 0; i < 4; i++)
        {
            foreach (var (day, took) in new[] { ("1", true), ("4", i % 2 == 0), ("7", true) })
            {
                var diary = await app.AsUserAsync("coordinator", s => s.GetRequiredService<RecordDiary>().ExecuteAsync(ids[i], day, took));
                Assert.True(diary.Succeeded, SafetyScenario.Describe(diary));
            }
        }

        for (var i = 0; i < 5; i++)
        {
            await app.ReportAsync("coordinator", ids[i], app.NonSerious("LON", "Headache"));
        }

        await app.ReportAsync("coordinator", ids[1], app.NonSerious("LON", "Fatigue"));
        await app.ReportAsync("coordinator", ids[2], app.Serious("LON", "Seizure"));
        await app.ReportAsync("coordinator", ids[7], app.Serious("LON", "Seizure"));

        var discontinued = await app.AsUserAsync("coordinator", s => s.GetRequiredService<EndParticipation>().ExecuteAsync(ids[3], EndKind.DiscontinueDrug, "Persistent headache"));
        Assert.True(discontinued.Succeeded, SafetyScenario.Describe(discontinued));
        var lost = await app.AsUserAsync("coordinator", s => s.GetRequiredService<EndParticipation>().ExecuteAsync(ids[5], EndKind.LostToFollowUp, "No answer to calls"));
        Assert.True(lost.Succeeded, SafetyScenario.Describe(lost));

        // The arms, read here apart from the report, to count by arm independently.
        var arms = await app.Services.GetRequiredService<Allocations>().ArmsByParticipantAsync(trial.TrialId);
        Assert.Equal(12, arms.Count);
        Assert.Equal(2, arms.Values.Distinct().Count());

        using var dsmb = await app.SignedInAsync("dsmb");
        var closedPdf = await PdfAsync(dsmb, $"{ClosedUrl}.pdf");
        var openPdf = await PdfAsync(dsmb, $"{OpenUrl}.pdf");
        Poppler.SavePngs(closedPdf, "dsmb-closed");
        Poppler.SavePngs(openPdf, "dsmb-open");
        return new Scenario(trial.TrialId, ids, arms, closedPdf, openPdf);
    }

    [Fact]
    public async Task Closed_report_counts_by_arm_equal_those_computed_from_the_allocations()
    {
        var s = await ScenarioAsync();
        var report = (await app.AsUserAsync("dsmb", sp => sp.GetRequiredService<ClosedReport>().ViewAsync(TrialCode)))!.Report;
        var armCodes = report.Groups.Select(g => g.ArmCode).ToList();
        Assert.Equal([RandomizationTrial.ActiveCode, RandomizationTrial.ControlCode, null], armCodes);
        Assert.Equal(0, report.Unallocated);

        var (events, participants, kits, scores) = await app.WithDbAsync(async db =>
        (
            await db.AdverseEventVersions.AsNoTracking().Where(v => v.TrialId == s.TrialId).GroupBy(v => v.AdverseEventId).Select(g => g.OrderByDescending(v => v.Version).First()).ToListAsync(),
            await db.Participants.AsNoTracking().Where(p => p.TrialId == s.TrialId).ToListAsync(),
            await db.Dispensings.AsNoTracking().Where(d => d.TrialId == s.TrialId).ToListAsync(),
            await db.FormEntries.AsNoTracking().Where(e => e.TrialId == s.TrialId && e.FormCode == "DEP9" && e.VisitCode == "W1" && e.Status == FormStatus.Complete).ToListAsync()));
        for (var g = 0; g < armCodes.Count; g++)
        {
            var arm = armCodes[g];
            bool InGroup(Guid id) => s.Arms.TryGetValue(id, out var a) && (arm is null || a == arm);
            var groupEvents = events.Where(e => InGroup(e.ParticipantId)).ToList();
            var label = report.Groups[g].Label;

            Assert.True(s.Arms.Count(a => arm is null || a.Value == arm) == report.Disposition[g].Randomized, $"randomized, {label}");
            Assert.True(report.Enrolment.Months[^1].Cumulative[g] == report.Disposition[g].Randomized, $"cumulative randomized, {label}");
            Assert.Equal(new DsmbCount(groupEvents.Count, groupEvents.Select(e => e.ParticipantId).Distinct().Count()), report.Safety.Groups[g].Any);
            Assert.Equal(groupEvents.Count(e => e.Serious), report.Safety.Groups[g].Serious.Events);
            Assert.Equal(groupEvents.Count(e => e.ReportedTerm == "Headache"), report.Safety.ByTerm.Single(t => t.Term == "Headache").Groups[g].Events);
            Assert.Equal(groupEvents.Count(e => e.Grade == 3), report.Safety.Groups[g].ByGrade[2].Events);
            Assert.Equal(participants.Count(p => InGroup(p.Id) && p.WithdrawnOn is not null), report.Disposition[g].Withdrawn);
            Assert.Equal(participants.Count(p => InGroup(p.Id) && p.DrugDiscontinuedOn is not null), report.Disposition[g].DrugDiscontinued);
            Assert.Equal(kits.Count(d => InGroup(d.ParticipantId)), report.Exposure[g].KitsDispensed);

            var w1 = scores.Where(e => InGroup(e.ParticipantId)).Select(e => (double)StoredScores.Read(e.ScoresJson)["total"].Total).ToList();
            var cell = report.Scores[0].Visits.Single(v => v.VisitCode == "W1").Groups[g].Value;
            Assert.Equal(w1.Count, cell.N);
            Assert.Equal(w1.Count == 0 ? null : w1.Average(), cell.Mean);
        }

        // The page shows the same numbers (its disposition table: one column per arm, then the total).
        using var browser = await app.SignedInAsync("dsmb");
        var page = await browser.GetAsync(ClosedUrl);
        Assert.Equal(HttpStatusCode.OK, page.Status);
        var randomizedRow = TableRow(page, "Disposition by arm", "Randomized");
        Assert.Equal(report.Disposition.Select(d => d.Randomized.ToString(CultureInfo.InvariantCulture)), randomizedRow.Skip(1));
        var headers = TableHeaders(page, "Disposition by arm");
        Assert.Equal([RandomizationTrial.ActiveLabel, RandomizationTrial.ControlLabel, DsmbReports.TotalLabel], headers.Skip(1));
    }

    [Fact]
    public async Task The_closed_page_and_every_page_of_its_pdf_are_marked_confidential_unblinded()
    {
        var s = await ScenarioAsync();
        using var dsmb = await app.SignedInAsync("dsmb");
        var page = await dsmb.GetAsync(ClosedUrl);
        Assert.Equal(HttpStatusCode.OK, page.Status);
        var banners = page.Document.QuerySelectorAll("[data-testid=report-banner]").Select(b => b.TextContent.Trim()).ToList();
        Assert.Equal([DsmbReportDocument.ClosedBanner], banners);
        Assert.Contains(RandomizationTrial.ActiveLabel, page.Text, StringComparison.Ordinal);

        var pages = Poppler.Pages(s.ClosedPdf);
        Assert.True(pages.Length >= 2, $"Only {pages.Length} page(s).");
        for (var i = 0; i < pages.Length; i++)
        {
            Assert.Contains(DsmbReportDocument.ClosedBanner, pages[i], StringComparison.Ordinal);
            Assert.Contains($"Page {i + 1} of {pages.Length}", pages[i], StringComparison.Ordinal);
        }

        var text = Flat(Poppler.Text(s.ClosedPdf));
        Assert.Contains(RandomizationTrial.ActiveLabel, text, StringComparison.Ordinal);
        Assert.Contains("Primary outcome: Depression total (DEP9.total)", text, StringComparison.Ordinal);

        // The safety officer, the other unblinded role, gets it too.
        using var safety = await app.SignedInAsync("safety");
        Assert.Contains(DsmbReportDocument.ClosedBanner, Poppler.Pages(await PdfAsync(safety, $"{ClosedUrl}.pdf"))[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("coordinator")]
    [InlineData("investigator")]
    [InlineData("datamanager")]
    [InlineData("admin")]
    public async Task The_closed_report_page_and_pdf_are_refused_to_blinded_roles(string local)
    {
        await ScenarioAsync();
        using var browser = await app.SignedInAsync(local);
        foreach (var url in new[] { ClosedUrl, $"{ClosedUrl}.pdf" })
        {
            var refused = await browser.GetAsync(url, follow: false);
            Assert.True(IsDenied(refused), $"{local} {url}: {(int)refused.Status} {refused.Response.Headers.Location}");
        }

        // The operation checks again, whoever calls it.
        await Assert.ThrowsAsync<OperationForbiddenException>(() => app.AsUserAsync(local, sp => sp.GetRequiredService<ClosedReport>().ViewAsync(TrialCode)));
        var user = await app.UserIdAsync(local);
        Assert.False(await app.WithDbAsync(db => db.AuditTrail.AnyAsync(e => e.Action == ClosedReport.AuditAction && e.UserId == user)));
    }

    [Theory]
    [InlineData("datamanager")]
    [InlineData("admin")]
    public async Task The_open_report_shows_no_arm_and_no_number_by_arm(string local)
    {
        var s = await ScenarioAsync();
        using var browser = await app.SignedInAsync(local);
        var page = await browser.GetAsync(OpenUrl);
        Assert.Equal(HttpStatusCode.OK, page.Status);
        var pdf = await PdfAsync(browser, $"{OpenUrl}.pdf");
        var pdfText = Poppler.Text(pdf);
        var texts = new[] { page.Html, page.Text, pdfText, Flat(pdfText), string.Join("\n", Poppler.Info(pdf).Values) };
        foreach (var secret in RandomizationTrial.ArmSecrets)
        {
            Assert.All(texts, text => Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase));
        }

        Assert.DoesNotContain("by arm", page.Text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("by arm", Flat(pdfText), StringComparison.OrdinalIgnoreCase);
        Assert.All(Poppler.Pages(pdf), p => Assert.Contains(DsmbReportDocument.OpenBanner, p, StringComparison.Ordinal));

        // Every summary has the one pooled column, and it holds the totals of all arms together.
        var tables = page.Document.QuerySelectorAll("[data-testid=report-table]").ToList();
        Assert.NotEmpty(tables);
        foreach (var table in tables)
        {
            var caption = table.QuerySelector("caption")?.TextContent.Trim() ?? "";
            var headers = table.QuerySelectorAll("thead th").Select(h => h.TextContent.Trim()).ToList();
            if (caption.StartsWith("Randomized by month and site", StringComparison.Ordinal))
            {
                Assert.Equal(["Month (UTC)", "Consented", "BOS", "LON", DsmbReports.TotalLabel], headers);
            }
            else if (!caption.Contains(" by visit", StringComparison.Ordinal))
            {
                Assert.Equal(2, headers.Count);
                Assert.Equal(DsmbReports.PooledLabel, headers[1]);
            }
            else
            {
                Assert.DoesNotContain("Arm", headers);
            }
        }

        var closed = (await app.AsUserAsync("dsmb", sp => sp.GetRequiredService<ClosedReport>().ViewAsync(TrialCode)))!.Report;
        var open = (await app.AsUserAsync(local, sp => sp.GetRequiredService<OpenReport>().LoadAsync(TrialCode)))!;
        Assert.Equal(closed.Disposition[^1], Assert.Single(open.Disposition));
        var pooledSafety = Assert.Single(open.Safety.Groups);
        Assert.Equal((closed.Safety.Groups[^1].Any, closed.Safety.Groups[^1].Serious), (pooledSafety.Any, pooledSafety.Serious));
        Assert.Equal(closed.Safety.Groups[^1].ByGrade, pooledSafety.ByGrade);
        Assert.Equal(closed.Exposure[^1], Assert.Single(open.Exposure));
        Assert.Equal([s.Randomized.Count.ToString(CultureInfo.InvariantCulture)], TableRow(page, "Disposition", "Randomized").Skip(1));
    }

    [Fact]
    public async Task Viewing_and_downloading_the_closed_report_is_audited_without_arm_or_count()
    {
        var s = await ScenarioAsync();
        using var dsmb = await app.SignedInAsync("dsmb");
        var user = await app.UserIdAsync("dsmb");
        var before = await app.WithDbAsync(db => db.AuditTrail.MaxAsync(e => e.ChainSeq));
        Assert.Equal(HttpStatusCode.OK, (await dsmb.GetAsync(ClosedUrl)).Status);
        await PdfAsync(dsmb, $"{ClosedUrl}.pdf");

        var entries = await app.WithDbAsync(db => db.AuditTrail.AsNoTracking().Where(e => e.ChainSeq > before && e.UserId == user).OrderBy(e => e.ChainSeq).ToListAsync());
        var views = entries.Where(e => e.Action == ClosedReport.AuditAction).ToList();
        Assert.Equal(2, views.Count);
        Assert.Contains("Page", views[0].Changes, StringComparison.Ordinal);
        Assert.Contains("PDF", views[1].Changes, StringComparison.Ordinal);
        Assert.All(views, v =>
        {
            Assert.Equal(s.TrialId, v.TrialId);
            Assert.Equal(nameof(Trial), v.EntityType);
            Assert.DoesNotContain(v.Changes, char.IsDigit);
        });
        var download = Assert.Single(entries, e => e.Action == "DownloadPdf");
        Assert.Contains("DSMBCLOSED", download.Changes, StringComparison.Ordinal);

        foreach (var entry in entries)
        {
            foreach (var secret in RandomizationTrial.ArmSecrets)
            {
                Assert.DoesNotContain(secret, entry.Changes, StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    [Fact]
    public async Task Trials_without_a_list_or_without_randomized_participants_get_empty_valid_reports()
    {
        await RandomizationTrial.CreateAsync(app, "DSMB-EMPTY-01", kitsPerSite: 4, slotsPerStratum: 6);
        using var dsmb = await app.SignedInAsync("dsmb");
        foreach (var (code, expected) in new[] { (SafetyScenario.DemoTrial, "has not been generated"), ("DSMB-EMPTY-01", "No participant has been randomized yet") })
        {
            foreach (var kind in new[] { "closed", "open" })
            {
                var page = await dsmb.GetAsync($"/trials/{code}/dsmb/{kind}");
                Assert.Equal(HttpStatusCode.OK, page.Status);
                Assert.Contains(expected, page.Text, StringComparison.Ordinal);
                var pages = Poppler.Pages(await PdfAsync(dsmb, $"/trials/{code}/dsmb/{kind}.pdf"));
                Assert.NotEmpty(pages);
                Assert.Contains(expected, Flat(string.Join(" ", pages)), StringComparison.Ordinal);
            }
        }

        Assert.Equal(HttpStatusCode.NotFound, (await dsmb.GetAsync("/trials/NO-SUCH-TRIAL/dsmb/closed.pdf", follow: false)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await dsmb.GetAsync("/trials/NO-SUCH-TRIAL/dsmb/open", follow: false)).Status);
    }

    [Fact]
    public async Task The_index_links_the_closed_report_only_for_unblinded_roles()
    {
        await ScenarioAsync();
        using var dsmb = await app.SignedInAsync("dsmb");
        var links = (await dsmb.GetAsync("/dsmb")).Links;
        Assert.Contains(ClosedUrl, links);
        Assert.Contains($"{OpenUrl}.pdf", links);

        using var dataManager = await app.SignedInAsync("datamanager");
        var blinded = await dataManager.GetAsync("/dsmb");
        Assert.Equal(HttpStatusCode.OK, blinded.Status);
        Assert.Contains(OpenUrl, blinded.Links);
        Assert.DoesNotContain(blinded.Links, l => l.Contains("/dsmb/closed", StringComparison.Ordinal));
    }

    private async Task SaveDep9Async(Guid id, string visit, int total)
    {
        var values = new Dictionary<string, string?>();
        for (var item = 1; item <= 9; item++)
        {
            var score = Math.Min(3, total);
            values[$"d{item}"] = score.ToString(CultureInfo.InvariantCulture);
            total -= score;
        }

        var saved = await app.AsUserAsync("coordinator", s => s.GetRequiredService<SaveForm>().ExecuteAsync(new(id, visit, "DEP9", values, true, null)));
        Assert.True(saved.Succeeded, $"{visit}: {SafetyScenario.Describe(saved.Outcome)}");
    }

    private static async Task<byte[]> PdfAsync(TestBrowser browser, string url)
    {
        var download = await browser.GetAsync(url, follow: false);
        Assert.True(download.Status == HttpStatusCode.OK, $"{url}: {(int)download.Status} {download.Response.Headers.Location}");
        Assert.Equal("application/pdf", download.Response.Content.Headers.ContentType?.MediaType);
        return await download.Response.Content.ReadAsByteArrayAsync();
    }

    private static List<string> TableHeaders(Page page, string caption) =>
        [.. Table(page, caption).QuerySelectorAll("thead th").Select(h => h.TextContent.Trim())];

    private static List<string> TableRow(Page page, string caption, string firstCell) =>
        [.. Table(page, caption).QuerySelectorAll("tbody tr")
            .Select(r => r.QuerySelectorAll("td").Select(c => c.TextContent.Trim()).ToList())
            .Single(cells => cells[0] == firstCell)];

    private static AngleSharp.Dom.IElement Table(Page page, string caption) =>
        page.Document.QuerySelectorAll("[data-testid=report-table]").Single(t => t.QuerySelector("caption")?.TextContent.Trim() == caption);

    private static bool IsDenied(Page page) =>
        page.Status == HttpStatusCode.Forbidden || (page.Response.Headers.Location?.ToString() ?? "").Contains("/Account/AccessDenied", StringComparison.Ordinal);

    /// <summary>Text with every run of white space made one space: pdftotext -layout pads columns and wraps paragraphs.</summary>
    private static string Flat(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
