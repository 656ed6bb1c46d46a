using System.Text;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Tests.Authorization;
using TrialManager.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TrialManager.Web.Tests.Blinding;

/// <summary>What the blinding tests share: the leak rules read from the app's own trials, and a signed-in crawl.</summary>
internal static class BlindingCrawl
{
    /// <summary>
    /// Rules built from every trial in the database: each arm's code and label as its protocol states them (the test
    /// trial's among them), the distinctive words of the test trial's labels, and the trial codes as benign text
    /// ("PSI-MDD-01" holds "PSI").
    /// </summary>
    public static async Task<LeakRules> RulesAsync(TrialApp app)
    {
        var trials = await app.WithDbAsync(db => db.Trials.AsNoTracking().Select(t => new { t.Id, t.Code }).ToListAsync());
        var protocols = app.Services.GetRequiredService<TrialProtocols>();
        var arms = new List<(string Code, string Label)>();
        foreach (var trial in trials)
        {
            var (_, protocol) = await protocols.CurrentAsync(trial.Id);
            arms.AddRange(protocol.Arms.Select(a => (a.Code, a.BlindedLabel)));
        }

        Assert.Contains(arms, a => a.Code == RandomizationTrial.ActiveCode && a.Label == RandomizationTrial.ActiveLabel);
        Assert.Contains(arms, a => a.Code == RandomizationTrial.ControlCode && a.Label == RandomizationTrial.ControlLabel);
        return new LeakRules(arms, ["Quillwort", "Marram"], trials.Select(t => t.Code));
    }

    /// <summary>Signs <paramref name="local"/> in through the real pages and crawls from home, trying every GET route of the app too.</summary>
    public static async Task<CrawlReport> CrawlAsync(TrialApp app, string local, LeakRules rules, IReadOnlyDictionary<string, string>? knownValues = null)
    {
        if (local is "admin" or "safety" && app.AuthenticatorKey(app.Account(local).Email) is null)
        {
            await app.EnrolAuthenticatorAsync(local);
        }

        var client = app.CreateClient(new WebApplicationFactoryClientOptions
        {
            AllowAutoRedirect = false,
            HandleCookies = true,
            BaseAddress = new Uri("https://localhost"),
        });
        using var browser = new TestBrowser(app, client);
        var home = await browser.SignInAsync(local);
        Assert.Equal("/", home.Path);
        return await new LeakCrawler(client, rules).CrawlAsync(["/"], AppRoutes.Discover(app), knownValues);
    }

    /// <summary>Writes the summary to the test output and every address read to an artefact file (the crawl's record).</summary>
    public static void Log(ITestOutputHelper output, string label, CrawlReport report)
    {
        output.WriteLine($"{label}: {report.Summary()}");
        var root = Environment.GetEnvironmentVariable("TRIALMANAGER_ARTIFACTS");
        var dir = Path.Combine(string.IsNullOrWhiteSpace(root) ? Path.Combine(Path.GetTempPath(), "trialmanager-artifacts") : root, "blinding-crawl");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, label + ".txt");
        var text = new StringBuilder()
            .AppendLine(label + ": " + report.Summary())
            .AppendLine()
            .AppendLine("Findings:")
            .AppendLine(string.Join('\n', report.Findings))
            .AppendLine()
            .AppendLine("Left out by the limits:")
            .AppendLine(string.Join('\n', report.LeftOutByLimit.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Value,5} {l.Key}")))
            .AppendLine()
            .AppendLine("Routes not tried (no value for a parameter): " + string.Join(", ", report.RoutesNotTried))
            .AppendLine()
            .AppendLine("Addresses read:")
            .AppendLine(report.Listing());
        File.WriteAllText(file, text.ToString());
        output.WriteLine($"Every address read: {file}");
        output.WriteLine("Shapes read: " + string.Join(", ", report.Visited.GroupBy(v => LeakCrawler.Shape(v.Url.Split('?')[0]), StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} ×{g.Count()}")));
        foreach (var finding in report.Findings.Take(40))
        {
            output.WriteLine("FINDING " + finding);
        }
    }

    public static string Describe(CrawlReport report, string local) =>
        $"{local} reached {report.Findings.Count} forbidden thing(s):\n" + string.Join('\n', report.Findings.Select(f => "  " + f));
}
