using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Documents;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Tests.Infrastructure;
using TrialManager.Web.Tests.Safety;
using Xunit.Abstractions;

namespace TrialManager.Web.Tests.Blinding;

/// <summary>
/// The app with test-only pages that leak on purpose, each in a different way (visible text, an attribute only, a PDF,
/// a CSV, a block size, a per-arm count, a server error). Nothing links to them but one in-app notification, so the
/// crawler reaches them only by discovery, as it would a new page.
/// </summary>
public sealed class PlantedLeakApp : TrialApp
{
    public const string Root = "/__planted";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter, PlantedPages>());
    }

    private sealed class PlantedPages : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextMiddleware) =>
            {
                var path = context.Request.Path.Value ?? "";
                if (!path.StartsWith(Root, StringComparison.Ordinal) || !HttpMethods.IsGet(context.Request.Method))
                {
                    await nextMiddleware(context);
                    return;
                }

                switch (path[Root.Length..])
                {
                    case "":
                        await Html(context, $"""
                            <h1>Allocation check</h1>
                            <p>Kit 7QH-4MX holds the {RandomizationTrial.ActiveLabel}.</p>
                            <ul>
                              <li><a href="{Root}/attribute">attribute</a></li>
                              <li><a href="{Root}/report.pdf">PDF</a></li>
                              <li><a href="{Root}/export.csv">CSV</a></li>
                              <li><a href="{Root}/design">design</a></li>
                              <li><a href="{Root}/counts">counts</a></li>
                              <li><a href="{Root}/broken">broken</a></li>
                            </ul>
                            """);
                        break;
                    case "/attribute":
                        await Html(context, $"""<p><span class="kit" data-allocation="{RandomizationTrial.ControlCode}">Kit 2AB-9CD</span></p>""");
                        break;
                    case "/report.pdf":
                        var document = new ReportDocument("Planted allocation report").Add(new Paragraph($"Participant LON-0001 received the {RandomizationTrial.ControlLabel}."));
                        context.Response.ContentType = "application/pdf";
                        await context.Response.Body.WriteAsync(PdfRenderer.Render(document, new RenderOptions("PLANTED-1", DateTimeOffset.UnixEpoch, "test")).Bytes);
                        break;
                    case "/export.csv":
                        context.Response.ContentType = "text/csv; charset=utf-8";
                        await context.Response.WriteAsync($"kit,allocation\n7QH-4MX,{RandomizationTrial.ActiveCode}\n");
                        break;
                    case "/design":
                        await Html(context, "<p>The list was made of permuted blocks of 4 and 6.</p>");
                        break;
                    case "/counts":
                        await Html(context, "<table><tr><td>Randomized so far</td><td>31 per arm</td></tr></table>");
                        break;
                    case "/broken":
                        context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                        await Html(context, "<p>Something went wrong.</p>");
                        break;
                    default:
                        context.Response.StatusCode = StatusCodes.Status404NotFound;
                        break;
                }
            });
            next(app);
        };

        private static async Task Html(HttpContext context, string body)
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.WriteAsync($"<!DOCTYPE html><html><head><title>Planted</title></head><body>{body}</body></html>", Encoding.UTF8);
        }
    }
}

/// <summary>The planted app with a small randomized trial, a notification leading to the planted pages, and an arm label typed into a deviation.</summary>
public sealed class PlantedLeakFixture : IAsyncLifetime
{
    private readonly SemaphoreSlim _once = new(1, 1);
    private CrawlReport? _report;

    public PlantedLeakApp App { get; } = new();

    /// <summary>The participant whose deviation description names an arm, as a careless site might type it.</summary>
    public Guid DeviationParticipant { get; private set; }

    public async Task InitializeAsync()
    {
        await App.InitializeAsync();
        var trial = await RandomizationTrial.CreateAsync(App, "PLANT-01", kitsPerSite: 6, slotsPerStratum: 12);
        var ids = await trial.AddEligibleParticipantsAsync(App, "LON", 3);
        foreach (var id in ids.Take(2))
        {
            var randomized = await App.AsUserAsync("coordinator", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(id));
            Assert.True(randomized.Succeeded, SafetyScenario.Describe(randomized.Outcome));
        }

        DeviationParticipant = ids[1];
        var deviation = await App.AsUserAsync("investigator", s => s.GetRequiredService<ReportDeviation>().ExecuteAsync(
            DeviationParticipant, null, $"Participant says the pharmacist called it the {RandomizationTrial.ControlLabel}."));
        Assert.True(deviation.Succeeded, SafetyScenario.Describe(deviation));

        await using var scope = App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TrialDbContext>();
        db.AuditActorOverride = AuditActor.System("planted leak test");
        var email = App.Account("coordinator").Email;
        var userId = await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync();
        db.Notifications.Add(new Notification
        {
            UserId = userId,
            Subject = "Allocation check",
            Body = "A page to look at.",
            Link = PlantedLeakApp.Root,
            CreatedAt = App.Clock.GetUtcNow(),
        });
        await db.SaveChangesAsync();
    }

    /// <summary>One crawl as the London coordinator, shared by the tests.</summary>
    public async Task<CrawlReport> CrawlAsync()
    {
        await _once.WaitAsync();
        try
        {
            return _report ??= await BlindingCrawl.CrawlAsync(App, "coordinator", await BlindingCrawl.RulesAsync(App));
        }
        finally
        {
            _once.Release();
        }
    }

    public async Task DisposeAsync()
    {
        _once.Dispose();
        await App.DisposeAsync();
    }
}

/// <summary>The crawler can fail: every planted leak is reported at its own address, found by following links.</summary>
public class PlantedLeakTests(PlantedLeakFixture fixture, ITestOutputHelper output) : IClassFixture<PlantedLeakFixture>
{
    [Theory]
    [InlineData("", "arm label 'Quillwort active capsule'", "text")]
    [InlineData("/attribute", "arm code 'ZXCTL'", "attributes")]
    [InlineData("/attribute", "arm code 'ZXCTL'", "html")]
    [InlineData("/report.pdf", "arm label 'Marram control capsule'", "pdf")]
    [InlineData("/report.pdf", "arm secret 'Marram'", "pdf")]
    [InlineData("/export.csv", "arm code 'ZXACT'", "body")]
    [InlineData("/design", "block size", "text")]
    [InlineData("/design", "block size", "html")]
    [InlineData("/counts", "per-arm count or mapping", "text")]
    [InlineData("/broken", "server error 500", "status")]
    public async Task A_planted_leak_is_reported_at_its_address(string page, string rule, string where)
    {
        var report = await fixture.CrawlAsync();
        BlindingCrawl.Log(output, "planted-coordinator", report);
        var url = PlantedLeakApp.Root + page;

        Assert.Contains(report.Visited, v => v.Url == url);
        var findings = report.Findings.Where(f => f.Url == url).ToList();
        Assert.True(findings.Any(f => f.Rule == rule && f.Where == where), $"{url}: expected '{rule}' in {where}; found: {string.Join("; ", findings)}");
    }

    [Fact]
    public async Task The_planted_page_is_found_only_by_following_the_inbox_link()
    {
        var report = await fixture.CrawlAsync();

        Assert.Equal("/inbox", Assert.Single(report.Visited, v => v.Url == PlantedLeakApp.Root).From);
    }

    [Fact]
    public async Task An_arm_label_typed_into_ordinary_data_is_caught_on_the_participant_page()
    {
        var report = await fixture.CrawlAsync();
        var url = $"/participants/{fixture.DeviationParticipant}";

        Assert.Contains(report.Findings, f => f.Url == url && f.Rule == $"arm label '{RandomizationTrial.ControlLabel}'" && f.Where is "html" or "text");
        Assert.Contains(report.Findings, f => f.Url == url && f.Rule == "arm secret 'Marram'");
    }
}
