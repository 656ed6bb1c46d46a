using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Benchmarks.Generation;
using TrialManager.Benchmarks.Load;
using TrialManager.Domain.Access;
using TrialManager.Web.Data;

namespace TrialManager.Benchmarks;

/// <summary>
/// The benchmark at trial scale (issue 13), on the generated dataset (50 sites, 10,000 participants; generated once
/// through the real operations and kept, see Generation/): each run works on a fresh copy of it.
///   1. randomizations per second at 1, 8 and 32 clients beside pgbench on the same server;
///   2. the busiest pages under 16 signed-in users over HTTP, against two app processes sharing one database and one
///      key folder (every user's requests alternate between them), beside /health as the floor;
///   3. casebook pages per second: the document layer beside raw PDFsharp, and whole casebooks over HTTP;
///   4. the peak memory of each app process.
/// </summary>
internal static partial class ScaleBenchmark
{
    private const int Users = 16;

    public static async Task<string> RunAsync(bool quick)
    {
        var options = quick
            ? new ScaleOptions { Sites = 10, Participants = 1_000, AdverseEvents = 500, EligiblePool = 720 }
            : new ScaleOptions();
        var progress = new ProgressBar();
        await using var dataset = await ScaleDataset.EnsureAsync(options, progress);
        progress.Complete();
        var summary = dataset.Summary;
        var report = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"Dataset `{dataset.DatabaseName}` (generated through the real operations{(dataset.Generated ? string.Create(CultureInfo.InvariantCulture, $" in this run, {summary.Elapsed.TotalMinutes:0.0} min at {summary.OperationsPerSecond:0} operations/s") : ", kept from an earlier run")}): " +
                $"{summary.Sites} sites, {summary.Randomized:N0} randomized participants, {summary.EligiblePool:N0} eligible waiting, {summary.VisitsDone:N0} visits, {summary.FormsCompleted:N0} completed forms, " +
                $"{summary.AdverseEvents:N0} adverse events ({summary.SeriousAdverseEvents:N0} serious), {summary.DiaryEntries:N0} diary entries, {summary.AuditEntries:N0} audit entries, {summary.DatabaseBytes / 1024.0 / 1024 / 1024:0.00} GiB.")
            .AppendLine();

        const string copy = "scale_run";
        var connection = await dataset.CopyAsync(copy);
        await dataset.Cluster.EnsureDatabaseAsync("pgbench");
        Console.Error.WriteLine("Initialising pgbench (scale 8) ...");
        await Pgbench.InitialiseAsync(dataset.Cluster.BinDirectory, dataset.Cluster.ConnectionString("pgbench"), scale: 8);

        LoadPlan plan;
        await using (var app = new BenchApp(connection, dataset.MasterKey))
        {
            _ = app.Services;
            report.AppendLine("### Randomization").AppendLine()
                .AppendLine(CultureInfo.InvariantCulture, $"The real `RandomizeParticipant` in-process on the copy, each participant by their own site's coordinator, sites taking turns; pgbench TPC-B-like (scale 8, -T {(quick ? 5 : 10)}) on the same durable server after each level. Ratio = randomizations/s ÷ pgbench tps.")
                .AppendLine()
                .Append(await RandomizeAsync(app, dataset, quick ? [60, 240, 360] : [200, 800, 1600], quick ? 5 : 10))
                .AppendLine();
            plan = await PlanLoadAsync(app, dataset);
        }

        Npgsql.NpgsqlConnection.ClearAllPools();
        var keys = Directory.CreateTempSubdirectory("trialmanager-bench-keys-");
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:TrialManager"] = connection,
            ["TrialManager:MasterKey"] = dataset.MasterKey,
            ["TrialManager:SeedDemo"] = "false",
            ["TrialManager:MigrateOnStart"] = "false",
            ["TrialManager:DataProtectionKeysDirectory"] = keys.FullName,
            ["TrialManager:ServerTiming"] = "true",
            ["TrialManager:SignInAttemptsPerMinute"] = "100000",
            ["TrialManager:Supply:ResupplyCheckHours"] = "0",
        };
        try
        {
            Console.Error.WriteLine("Starting two app instances ...");
            await using var first = await AppInstance.StartAsync(settings);
            await using var second = await AppInstance.StartAsync(settings);
            var instances = new[] { first.Address, second.Address };
            report.AppendLine("### Pages").AppendLine()
                .AppendLine(CultureInfo.InvariantCulture, $"{Users} signed-in users at once for {(quick ? 6 : 20)} s per page, over HTTP against two app processes on one database (each user's requests alternate between them; one sign-in serves both). Server time is the app's own `Server-Timing`; the floor is `/health` under the same load. Goal: every page's p95 ≤ 10 × the floor's p95.")
                .AppendLine()
                .Append(await PagesAsync(instances, plan, dataset, TimeSpan.FromSeconds(quick ? 6 : 20)))
                .AppendLine();

            report.AppendLine("### Casebooks").AppendLine();
            var documents = await CasebookBenchmark.RunAsync(quick);
            report.Append(documents).AppendLine().AppendLine()
                .Append(await CasebooksOverHttpAsync(instances, plan, dataset, quick ? 6 : 20))
                .AppendLine();

            var (firstMemory, secondMemory) = (first.Memory(), second.Memory());
            using var self = Process.GetCurrentProcess();
            report.AppendLine("### Memory").AppendLine()
                .AppendLine("| process | peak resident MiB | resident at end MiB |")
                .AppendLine("|---|---:|---:|")
                .AppendLine(CultureInfo.InvariantCulture, $"| app instance 1 (pages, casebooks) | {firstMemory.PeakMiB:0} | {firstMemory.CurrentMiB:0} |")
                .AppendLine(CultureInfo.InvariantCulture, $"| app instance 2 (pages, casebooks) | {secondMemory.PeakMiB:0} | {secondMemory.CurrentMiB:0} |")
                .AppendLine(CultureInfo.InvariantCulture, $"| benchmark process (in-process randomization{(dataset.Generated ? " and the generation" : "")}) | {self.PeakWorkingSet64 / 1024.0 / 1024:0} | {self.WorkingSet64 / 1024.0 / 1024:0} |");
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await dataset.DropCopyAsync(copy);
            keys.Delete(recursive: true);
        }

        return report.ToString();
    }

    private static async Task<string> RandomizeAsync(BenchApp app, ScaleDataset dataset, int[] counts, int seconds)
    {
        var db = app.Services.GetRequiredService<IDbContextFactory<TrialDbContext>>().CreateDbContext();
        await using (db)
        {
            var waiting = await db.Participants.AsNoTracking()
                .Where(p => p.TrialId == dataset.Summary.TrialId && p.Status == ParticipantStatus.Eligible)
                .Join(db.Sites, p => p.SiteId, s => s.Id, (p, s) => new { p.Id, p.SiteId, p.Number, SiteCode = s.Code })
                .ToListAsync();
            if (waiting.Count < counts.Sum() + 40)
            {
                throw new InvalidOperationException($"The dataset has {waiting.Count} eligible participants waiting; the levels need {counts.Sum() + 40}.");
            }

            var coordinators = new Dictionary<Guid, ClaimsPrincipal>();
            foreach (var site in waiting.Select(p => (p.SiteId, p.SiteCode)).Distinct())
            {
                coordinators[site.SiteId] = await app.PrincipalAsync(ScaleAccounts.Coordinator(site.SiteCode));
            }

            var queue = RandomizationBenchmark.SitesInTurn(waiting.Select(p => (p.Id, p.SiteId, p.Number)), site => coordinators[site]);
            return await RandomizationBenchmark.LevelsTableAsync(app, dataset.Cluster, "pgbench", queue, counts, seconds);
        }
    }

    /// <summary>Who loads what: coordinators of different sites with their own participants, and safety officers with authenticators.</summary>
    private sealed record LoadPlan(
        IReadOnlyList<(string Email, IReadOnlyList<Guid> Participants)> Coordinators,
        IReadOnlyList<(string Email, string AuthenticatorKey)> SafetyOfficers);

    private static async Task<LoadPlan> PlanLoadAsync(BenchApp app, ScaleDataset dataset)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TrialDbContext>();
        db.AuditActorOverride = TrialManager.Web.Data.Audit.AuditActor.System("benchmark set-up");
        var sites = await db.Sites.AsNoTracking().OrderBy(s => s.Code).Select(s => new { s.Id, s.Code }).ToListAsync();
        var coordinators = new List<(string, IReadOnlyList<Guid>)>();
        for (var i = 0; i < Users; i++)
        {
            var site = sites[i % sites.Count];
            var randomized = await db.Participants.AsNoTracking()
                .Where(p => p.SiteId == site.Id && p.RandomizedAt != null)
                .OrderBy(p => p.Number).Select(p => p.Id).ToListAsync();
            coordinators.Add((ScaleAccounts.Coordinator(site.Code), randomized));
        }

        // The safety officer signs in with an authenticator code, and each code is taken once: one account per user.
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var safety = new List<(string, string)>();
        for (var i = 1; i <= Users; i++)
        {
            var email = string.Create(CultureInfo.InvariantCulture, $"safety.load{i:00}@{ScaleAccounts.Domain}");
            var user = new ApplicationUser { UserName = email, Email = email, DisplayName = email, EmailConfirmed = true, CreatedAt = DateTimeOffset.UtcNow };
            Succeeded(await users.CreateAsync(user, dataset.Password), email);
            Succeeded(await users.AddToRoleAsync(user, TrialRoles.SafetyOfficer), email);
            Succeeded(await users.ResetAuthenticatorKeyAsync(user), email);
            Succeeded(await users.SetTwoFactorEnabledAsync(user, true), email);
            safety.Add((email, (await users.GetAuthenticatorKeyAsync(user))!));
        }

        return new LoadPlan(coordinators, safety);
    }

    private static void Succeeded(IdentityResult result, string email)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"{email}: {string.Join(" ", result.Errors.Select(e => e.Description))}");
        }
    }

    private static async Task<string> PagesAsync(Uri[] instances, LoadPlan plan, ScaleDataset dataset, TimeSpan duration)
    {
        var coordinators = await SignInAllAsync(instances, plan.Coordinators.Select(c => (c.Email, (string?)null)), dataset.Password);
        var safety = await SignInAllAsync(instances, plan.SafetyOfficers.Select(s => (s.Email, (string?)s.AuthenticatorKey)), dataset.Password);
        var dsmb = await SignInAllAsync(instances, Enumerable.Repeat((ScaleAccounts.DsmbMember, (string?)null), Users), dataset.Password);
        try
        {
            Guid Someone(int user, Random random) => plan.Coordinators[user].Participants[random.Next(plan.Coordinators[user].Participants.Count)];
            var trial = Uri.EscapeDataString(dataset.TrialCode);
            var phases = new (string Page, string Example, IReadOnlyList<WebUser> Users, Func<int, Random, string> Path)[]
            {
                ("floor: /health", "/health", coordinators, (_, _) => "/health"),
                ("site worklist", "/worklist", coordinators, (_, _) => "/worklist"),
                ("participant timeline", "/participants/{id}", coordinators, (u, r) => $"/participants/{Someone(u, r)}"),
                ("participant audit view", "/participants/{id}/audit", coordinators, (u, r) => $"/participants/{Someone(u, r)}/audit"),
                ("safety dashboard", "/safety", safety, (_, _) => "/safety"),
                ("DSMB report (closed, by arm)", $"/trials/{dataset.TrialCode}/dsmb/closed", dsmb, (_, _) => $"/trials/{trial}/dsmb/closed"),
                ("DSMB report (open, pooled)", $"/trials/{dataset.TrialCode}/dsmb/open", dsmb, (_, _) => $"/trials/{trial}/dsmb/open"),
            };

            var rows = new List<string>();
            double? floor = null;
            foreach (var (page, example, users, path) in phases)
            {
                Console.Error.WriteLine($"Loading {page} with {users.Count} users for {duration.TotalSeconds:0} s ...");
                var result = await LoadAsync(users, path, duration);
                var p95 = result.Server.Percentile(0.95);
                floor ??= p95;
                rows.Add(string.Create(CultureInfo.InvariantCulture,
                    $"| {page} | `{example}` | {result.Server.Count} | {result.Errors} | {result.Server.Count / duration.TotalSeconds:0.0} | {result.Server.Percentile(0.50):0.0} | {p95:0.0} | {result.Server.Percentile(0.99):0.0} | {result.Client.Percentile(0.95):0.0} | {result.Bytes / 1024.0:0} | **{p95 / floor.Value:0.0}** |"));
                Console.Error.WriteLine(rows[^1]);
            }

            return new StringBuilder()
                .AppendLine("| page | path | requests | errors | requests/s | server p50 ms | server p95 ms | server p99 ms | client p95 ms | KiB | p95 ÷ floor p95 |")
                .AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
                .AppendJoin(Environment.NewLine, rows)
                .AppendLine()
                .ToString();
        }
        finally
        {
            foreach (var user in coordinators.Concat(safety).Concat(dsmb))
            {
                user.Dispose();
            }
        }
    }

    private static async Task<List<WebUser>> SignInAllAsync(Uri[] instances, IEnumerable<(string Email, string? Key)> accounts, string password)
    {
        var users = new List<WebUser>();
        foreach (var (email, key) in accounts)
        {
            var user = new WebUser(instances, users.Count);
            users.Add(user);
            await user.SignInAsync(email, password, key);
        }

        return users;
    }

    private sealed record LoadResult(Samples Server, Samples Client, int Errors, double Bytes);

    /// <summary>Every user requests its next path as soon as the last one answered, for <paramref name="duration"/>, after one untimed request each.</summary>
    private static async Task<LoadResult> LoadAsync(IReadOnlyList<WebUser> users, Func<int, Random, string> path, TimeSpan duration)
    {
        var server = new ConcurrentBag<double>();
        var client = new ConcurrentBag<double>();
        var bytes = new ConcurrentBag<long>();
        var errors = 0;
        await Task.WhenAll(users.Select((user, index) => user.GetAsync(path(index, new Random(index)))));
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(users.Select((user, index) => Task.Run(async () =>
        {
            var random = new Random(1000 + index);
            while (clock.Elapsed < duration)
            {
                var timing = await user.GetAsync(path(index, random));
                if (timing.Status != 200 || double.IsNaN(timing.ServerMs))
                {
                    Interlocked.Increment(ref errors);
                    continue;
                }

                server.Add(timing.ServerMs);
                client.Add(timing.ClientMs);
                bytes.Add(timing.Bytes);
            }
        })));
        return server.IsEmpty
            ? throw new InvalidOperationException($"Every request of {path(0, new Random(0))} failed.")
            : new LoadResult(new Samples([.. server]), new Samples([.. client]), errors, bytes.Average());
    }

    /// <summary>Whole casebook PDFs over HTTP (loading from the database, building, drawing, signing the footer), one user after another.</summary>
    private static async Task<string> CasebooksOverHttpAsync(Uri[] instances, LoadPlan plan, ScaleDataset dataset, int count)
    {
        var coordinators = await SignInAllAsync(instances, plan.Coordinators.Take(4).Select(c => (c.Email, (string?)null)), dataset.Password);
        try
        {
            // The first (untimed) warms the PDF code in both instances.
            await coordinators[0].GetBytesAsync($"/participants/{plan.Coordinators[0].Participants[0]}/casebook.pdf");
            await coordinators[1].GetBytesAsync($"/participants/{plan.Coordinators[1].Participants[0]}/casebook.pdf");
            var pages = 0;
            long bytes = 0;
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < count; i++)
            {
                var user = i % coordinators.Count;
                var participants = plan.Coordinators[user].Participants;
                var pdf = await coordinators[user].GetBytesAsync($"/participants/{participants[(i / coordinators.Count) % participants.Count]}/casebook.pdf");
                pages += PageObject().Count(Encoding.Latin1.GetString(pdf));
                bytes += pdf.LongLength;
            }

            var rate = pages / clock.Elapsed.TotalSeconds;
            return string.Create(CultureInfo.InvariantCulture,
                $"Whole casebooks over HTTP from the generated data (load from the database, build, render), {count} participants one after another: {pages} pages, {(double)pages / count:0.0} per casebook, {bytes / count / 1024.0:0} KiB each, **{rate:0.0} pages/s** ({rate / CasebookBenchmark.RawPagesPerSecond:0.00} × the raw PDFsharp rate above).{Environment.NewLine}");
        }
        finally
        {
            foreach (var user in coordinators)
            {
                user.Dispose();
            }
        }
    }

    [GeneratedRegex(@"/Type\s*/Page(?![a-zA-Z])")]
    private static partial Regex PageObject();
}

/// <summary>Latency samples in milliseconds.</summary>
internal sealed class Samples(List<double> values)
{
    private readonly List<double> _sorted = [.. values.Order()];

    public int Count => _sorted.Count;

    public double Percentile(double p) => _sorted.Count == 0 ? double.NaN : _sorted[Math.Clamp((int)Math.Ceiling(p * _sorted.Count) - 1, 0, _sorted.Count - 1)];
}
