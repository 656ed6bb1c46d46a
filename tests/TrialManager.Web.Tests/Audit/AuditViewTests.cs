using System.Globalization;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Features.Audit;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Tests.Account;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Audit;

/// <summary>
/// The audit views and the CSV export over a randomized trial: who sees which entries, the filters, paging, the export
/// being checked and audited, the verification page, and that no view or export shows an arm to anyone.
/// </summary>
public class AuditViewTests(TrialApp app) : IClassFixture<TrialApp>
{
    private static readonly SemaphoreSlim Once = new(1, 1);
    private static Setup? _setup;

    private sealed record Setup(RandomizationTrial Trial, List<Guid> Lon, List<Guid> Bos, Guid LonSite, Guid BosSite);

    private async Task<Setup> SetupAsync()
    {
        await Once.WaitAsync();
        try
        {
            if (_setup is null)
            {
                var trial = await RandomizationTrial.CreateAsync(app, "AUDV-01", kitsPerSite: 12, slotsPerStratum: 24);
                var lon = await trial.AddEligibleParticipantsAsync(app, "LON", 4);
                var bos = await trial.AddEligibleParticipantsAsync(app, "BOS", 3);
                foreach (var id in lon.Take(3))
                {
                    await app.AsUserAsync("coordinator", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(id));
                }

                foreach (var id in bos.Take(2))
                {
                    await app.AsUserAsync("coordinator.bos", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(id));
                }

                var visit = trial.Protocol.Visits.First(v => v.DispensesKit && v != trial.Protocol.RandomizationVisit).Code;
                await app.AsUserAsync("coordinator", s => s.GetRequiredService<DispenseKit>().AtVisitAsync(lon[0], visit));
                await app.EnrolAuthenticatorAsync("admin");
                await app.EnrolAuthenticatorAsync("safety");
                _setup = new Setup(trial, lon, bos, await app.SiteIdAsync("LON"), await app.SiteIdAsync("BOS"));
            }

            return _setup;
        }
        finally
        {
            Once.Release();
        }
    }

    private Task<List<AuditEntry>> VisibleToAsync(string local) =>
        app.AsUserAsync(local, async s => await (await s.GetRequiredService<SearchAuditTrail>().ScopedAsync()).ToListAsync());

    [Fact]
    public async Task Each_role_sees_the_entries_of_its_sites_and_only_data_managers_and_administrators_see_entries_without_a_site()
    {
        var setup = await SetupAsync();
        foreach (var (local, site) in new[] { ("coordinator", setup.LonSite), ("investigator", setup.LonSite), ("coordinator.bos", setup.BosSite) })
        {
            var entries = await VisibleToAsync(local);
            Assert.Contains(entries, e => e.Action == "Randomize");
            Assert.All(entries, e => Assert.Equal(site, e.SiteId));
        }

        var safety = await VisibleToAsync("safety");
        Assert.All(safety, e => Assert.NotNull(e.SiteId));
        Assert.Contains(safety, e => e.SiteId == setup.LonSite);
        Assert.Contains(safety, e => e.SiteId == setup.BosSite);

        var total = await app.WithDbAsync(db => db.AuditTrail.CountAsync());
        foreach (var local in new[] { "datamanager", "admin" })
        {
            var all = await VisibleToAsync(local);
            Assert.True(all.Count >= total);
            Assert.Contains(all, e => e.SiteId == null && e.Action == "GenerateRandomizationList");
        }

        await Assert.ThrowsAsync<Web.Authorization.OperationForbiddenException>(() => VisibleToAsync("dsmb"));
    }

    [Fact]
    public async Task A_participants_audit_is_scoped_like_the_participant_and_linked_from_their_page()
    {
        var setup = await SetupAsync();
        using var lon = app.NewBrowser();
        await lon.SignInAsync("coordinator");
        var participant = await lon.GetAsync($"/participants/{setup.Lon[0]}");
        Assert.Contains($"/participants/{setup.Lon[0]}/audit", participant.Links);
        var audit = await lon.GetAsync($"/participants/{setup.Lon[0]}/audit");
        Assert.Equal(HttpStatusCode.OK, audit.Status);
        var actions = Cells(audit, 3);
        Assert.Contains("Randomize", actions);
        Assert.Contains("Dispense", actions);

        using var bos = app.NewBrowser();
        await bos.SignInAsync("coordinator.bos");
        Assert.Equal(HttpStatusCode.NotFound, (await bos.GetAsync($"/participants/{setup.Lon[0]}/audit")).Status);
        var other = await bos.GetAsync($"/audit?participant={setup.Lon[0]}");
        Assert.NotNull(other.Document.QuerySelector("[data-testid=audit-empty]"));
    }

    [Fact]
    public async Task Filters_narrow_the_view()
    {
        var setup = await SetupAsync();
        using var browser = app.NewBrowser();
        await browser.SignInAsync("datamanager");

        var randomize = await browser.GetAsync("/audit?action=randomize");
        Assert.Equal(5, Cells(randomize, 3).Count);
        Assert.All(Cells(randomize, 3), a => Assert.Equal("Randomize", a));

        var number = await app.WithDbAsync(db => db.Participants.Where(p => p.Id == setup.Lon[1]).Select(p => p.Number).SingleAsync());
        var byNumber = await browser.GetAsync($"/audit?participant={number}");
        Assert.Contains("Randomize", Cells(byNumber, 3));
        var shown = byNumber.Document.QuerySelectorAll("[data-testid=audit-entries] tbody tr").Select(r => long.Parse(r.GetAttribute("data-seq")!, CultureInfo.InvariantCulture)).ToList();
        var ofParticipant = await app.WithDbAsync(db => db.AuditTrail.Where(e => e.ParticipantId == setup.Lon[1]).Select(e => e.ChainSeq).ToListAsync());
        Assert.Equal(ofParticipant.OrderDescending(), shown);

        var byRecord = await browser.GetAsync($"/audit?entityType=Participant&entityId={setup.Lon[1]}");
        Assert.Contains("Create", Cells(byRecord, 3));
        Assert.All(Cells(byRecord, 4), r => Assert.StartsWith("Participant", r, StringComparison.Ordinal));

        var coordinatorName = await app.WithDbAsync(db => db.Users.Where(u => u.Email == app.Account("coordinator").Email).Select(u => u.DisplayName).SingleAsync());
        var byUser = await browser.GetAsync($"/audit?user={Uri.EscapeDataString(coordinatorName[..^2].ToUpperInvariant())}");
        Assert.NotEmpty(Cells(byUser, 2));
        Assert.All(Cells(byUser, 2), w => Assert.Contains(coordinatorName, w, StringComparison.Ordinal));

        var yesterday = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Assert.NotNull((await browser.GetAsync($"/audit?to={yesterday}")).Document.QuerySelector("[data-testid=audit-empty]"));
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Assert.Equal(5, Cells(await browser.GetAsync($"/audit?from={today}&to={today}&action=Randomize"), 3).Count);
    }

    [Fact]
    public async Task Pages_are_bounded_and_walk_back_without_overlap()
    {
        await SetupAsync();
        using var browser = app.NewBrowser();
        await browser.SignInAsync("datamanager");
        var seen = new HashSet<long>();
        var page = await browser.GetAsync("/audit");
        var pages = 0;
        while (true)
        {
            var seqs = page.Document.QuerySelectorAll("[data-testid=audit-entries] tbody tr").Select(r => long.Parse(r.GetAttribute("data-seq")!, CultureInfo.InvariantCulture)).ToList();
            Assert.InRange(seqs.Count, 1, SearchAuditTrail.PageSize);
            Assert.Equal(seqs.OrderDescending(), seqs);
            Assert.All(seqs, s => Assert.True(seen.Add(s), $"entry {s} shown twice"));
            pages++;
            var older = page.Document.QuerySelector("[data-testid=audit-older]");
            if (older is null || pages > 100)
            {
                break;
            }

            page = await browser.GetAsync(older.GetAttribute("href")!);
        }

        Assert.True(pages > 1);
        var before = await app.WithDbAsync(db => db.AuditTrail.Where(e => e.ChainSeq <= seen.Max()).CountAsync());
        Assert.Equal(before, seen.Count);
    }

    [Fact]
    public async Task The_export_is_access_checked_and_itself_audited()
    {
        await SetupAsync();
        using var browser = app.NewBrowser();
        await browser.SignInAsync("datamanager");
        var view = await browser.GetAsync("/audit?action=Randomize");
        var link = view.Document.QuerySelector("[data-testid=audit-export]")!.GetAttribute("href")!;
        Assert.Equal("/audit/export.csv?action=Randomize", link);

        var csv = await browser.GetAsync(link);

        Assert.Equal(HttpStatusCode.OK, csv.Status);
        Assert.Equal("text/csv", csv.Response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("attachment", csv.Response.Content.Headers.ContentDisposition?.ToString() ?? "", StringComparison.Ordinal);
        var lines = csv.Html.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(string.Join(",", ExportAuditTrail.Columns), lines[0]);
        Assert.Equal(5, lines.Length - 1);
        var datamanagerId = await app.UserIdAsync("datamanager");
        var recorded = await app.WithDbAsync(db => db.AuditTrail.Where(e => e.Action == "ExportAuditTrail" && e.UserId == datamanagerId).OrderBy(e => e.ChainSeq).LastAsync());
        Assert.Contains("\"Rows\":5", recorded.Changes, StringComparison.Ordinal);
        Assert.Contains("\"action\":\"Randomize\"", recorded.Changes, StringComparison.Ordinal);

        using var dsmb = app.NewBrowser();
        await dsmb.SignInAsync("dsmb");
        var refused = await dsmb.GetAsync("/audit/export.csv", follow: false);
        Assert.True(refused.Status == HttpStatusCode.Forbidden || (refused.Response.Headers.Location?.ToString() ?? "").Contains("/Account/AccessDenied", StringComparison.Ordinal));
        using var anonymous = app.NewBrowser();
        Assert.Contains("/Account/Login", (await anonymous.GetAsync("/audit/export.csv", follow: false)).Response.Headers.Location?.ToString() ?? "", StringComparison.Ordinal);

        using var bos = app.NewBrowser();
        await bos.SignInAsync("coordinator.bos");
        var bosCsv = await bos.GetAsync("/audit/export.csv");
        var lonSite = (await app.SiteIdAsync("LON")).ToString();
        Assert.Contains((await app.SiteIdAsync("BOS")).ToString(), bosCsv.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(lonSite, bosCsv.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_administrator_verifies_the_chain_from_a_page()
    {
        await SetupAsync();
        using var browser = app.NewBrowser();
        await browser.SignInAsync("admin");
        var page = await browser.GetAsync("/admin/audit/verify");
        Assert.Null(page.Document.QuerySelector("[data-testid=audit-verify-result]"));

        var result = await browser.SubmitAsync(page, "verify-audit", []);

        Assert.Contains("The audit trail is intact", result.Document.QuerySelector("[data-testid=audit-verify-result]")!.TextContent, StringComparison.Ordinal);
        Assert.Contains(await app.WithDbAsync(db => db.AuditTrail.Select(e => e.Action).ToListAsync()), a => a == "VerifyAuditTrail");
    }

    [Theory]
    [InlineData("coordinator")]
    [InlineData("coordinator.bos")]
    [InlineData("investigator")]
    [InlineData("datamanager")]
    [InlineData("admin")]
    [InlineData("safety")]
    [InlineData("dsmb")]
    public async Task No_audit_view_or_export_shows_an_arm(string local)
    {
        var setup = await SetupAsync();
        using var browser = app.NewBrowser();
        await browser.SignInAsync(local);
        var pages = new List<Page>();
        var page = await browser.GetAsync("/audit");
        pages.Add(page);
        for (var i = 0; i < 200 && page.Document.QuerySelector("[data-testid=audit-older]") is { } older; i++)
        {
            page = await browser.GetAsync(older.GetAttribute("href")!);
            pages.Add(page);
        }

        foreach (var id in setup.Lon.Concat(setup.Bos))
        {
            pages.Add(await browser.GetAsync($"/participants/{id}/audit"));
            pages.Add(await browser.GetAsync($"/audit?entityType=Participant&entityId={id}"));
            pages.Add(await browser.GetAsync($"/audit/export.csv?participant={id}"));
        }

        foreach (var type in new[] { "Kit", "RandomizationSlot", "SealedRandomizationList", "ProtocolVersion", "TrialKey" })
        {
            pages.Add(await browser.GetAsync($"/audit?entityType={type}"));
        }

        pages.Add(await browser.GetAsync("/audit/export.csv"));

        if (local is not "dsmb")
        {
            Assert.Contains(pages, p => p.Document.QuerySelector("[data-testid=audit-entries]") is not null);
        }

        foreach (var shown in pages)
        {
            Assert.NotEqual(HttpStatusCode.InternalServerError, shown.Status);
            foreach (var secret in RandomizationTrial.ArmSecrets)
            {
                Assert.False(shown.Html.Contains(secret, StringComparison.OrdinalIgnoreCase), $"{shown.Url.PathAndQuery} shows '{secret}' to {local}");
            }
        }
    }

    [Fact]
    public async Task The_stored_audit_trail_itself_holds_no_arm()
    {
        await SetupAsync();
        var texts = await app.WithDbAsync(db => db.AuditTrail.Select(e => e.Action + " " + e.EntityType + " " + e.EntityId + " " + e.Changes + " " + e.Reason).ToListAsync());
        Assert.Contains(texts, t => t.Contains("[sealed]", StringComparison.Ordinal));
        foreach (var secret in RandomizationTrial.ArmSecrets)
        {
            Assert.DoesNotContain(texts, t => t.Contains(secret, StringComparison.OrdinalIgnoreCase));
        }
    }

    /// <summary>The text of one column of the entries table (0: #, 1: when, 2: who, 3: action, 4: record, 5: changes, 6: why).</summary>
    private static List<string> Cells(Page page, int column) =>
        [.. page.Document.QuerySelectorAll("[data-testid=audit-entries] tbody tr").Select(r => r.Children[column].TextContent.Trim())];
}
