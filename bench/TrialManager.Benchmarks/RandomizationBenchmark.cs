using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using TrialManager.Domain.Access;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Hosting;
using TrialManager.Web.Sealing;

namespace TrialManager.Benchmarks;

/// <summary>
/// Randomizations per second and p50/p99 latency of the real RandomizeParticipant operation (sealed list, row locks,
/// kit matching, audit entries, one transaction each) with 1, 8 and 32 concurrent clients, next to pgbench's TPC-B-like
/// transactions per second on the same PostgreSQL server in the same run, as a ratio. The server is durable (fsync on),
/// so both pay for real commits.
/// </summary>
internal static class RandomizationBenchmark
{
    private static readonly int[] ClientCounts = [1, 8, 32];

    public static async Task<string> RunAsync(bool quick)
    {
        var sites = quick ? 8 : 20;
        var perClientLevel = quick ? new[] { 60, 240, 480 } : [200, 800, 1600];
        var participantsPerSite = (perClientLevel.Sum() / sites) + 10;
        var seconds = quick ? 5 : 10;

        await using var cluster = await EmbeddedPostgres.StartThrowawayAsync(null, NullLogger.Instance, durable: true);
        await cluster.EnsureDatabaseAsync("bench");
        await cluster.EnsureDatabaseAsync("pgbench");
        Console.Error.WriteLine($"PostgreSQL (durable) on port {cluster.Port}; initialising pgbench scale 8 ...");
        await Pgbench.InitialiseAsync(cluster.BinDirectory, cluster.ConnectionString("pgbench"), scale: 8);

        await using var app = new BenchApp(cluster.ConnectionString("bench"), MasterKey.NewBase64());
        _ = app.Services;
        var (coordinator, trialId) = await SetUpTrialAsync(app, sites, participantsPerSite);
        var principal = await app.PrincipalAsync(coordinator);
        var enrolled = await app.Services.GetRequiredService<IDbContextFactory<TrialDbContext>>().CreateDbContext()
            .Participants.Where(p => p.TrialId == trialId).Select(p => new { p.Id, p.SiteId, p.Number }).ToListAsync();
        var queue = SitesInTurn(enrolled.Select(p => (p.Id, p.SiteId, p.Number)), _ => principal);
        var table = await LevelsTableAsync(app, cluster, "pgbench", queue, perClientLevel, seconds);
        return string.Create(CultureInfo.InvariantCulture, $"Randomization: {sites} sites, {sites * 2} strata, the real operation in-process; pgbench TPC-B-like (scale 8, -T {seconds}) on the same durable PostgreSQL server, run after each level.")
            + Environment.NewLine + Environment.NewLine + table;
    }

    /// <summary>
    /// Sites take turns in the queue, as concurrent randomizations in a multi-site trial mostly come from different sites
    /// (a queue in number order would put every client on one site's two strata and measure only that stratum's row lock).
    /// </summary>
    internal static ConcurrentQueue<(Guid Participant, ClaimsPrincipal Actor)> SitesInTurn(IEnumerable<(Guid Id, Guid SiteId, string Number)> participants, Func<Guid, ClaimsPrincipal> actorOfSite) =>
        new(participants
            .GroupBy(p => p.SiteId)
            .SelectMany(site => site.OrderBy(p => p.Number, StringComparer.Ordinal).Select((p, turn) => (p.Id, p.SiteId, p.Number, Turn: turn)))
            .OrderBy(p => p.Turn).ThenBy(p => p.Number, StringComparer.Ordinal)
            .Select(p => (p.Id, actorOfSite(p.SiteId))));

    /// <summary>
    /// Warms up, then randomizes <paramref name="counts"/>[i] participants with 1, 8 and 32 clients, each level followed
    /// by pgbench with as many clients on the same server; a markdown table with the ratio, the SQL commands per
    /// randomization and where the CPU went (this process, PostgreSQL) next to PostgreSQL's CPU per pgbench transaction.
    /// </summary>
    internal static async Task<string> LevelsTableAsync(BenchApp app, EmbeddedPostgres cluster, string pgbenchDatabase, ConcurrentQueue<(Guid Participant, ClaimsPrincipal Actor)> queue, int[] counts, int seconds)
    {
        await RandomizeManyAsync(app, queue, clients: 4, count: 40);
        var rows = new List<string>();
        var cpu = new CpuMeter(cluster.DataDirectory);
        foreach (var (clients, count) in ClientCounts.Zip(counts))
        {
            var (cpuBefore, commandsBefore) = (cpu.Read(), app.Commands.Count);
            var latencies = await RandomizeManyAsync(app, queue, clients, count);
            var (cpuAfter, commandsAfter) = (cpu.Read(), app.Commands.Count);
            var (tps, transactions) = await Pgbench.RunAsync(cluster.BinDirectory, cluster.ConnectionString(pgbenchDatabase), clients, seconds);
            var cpuPgbench = cpu.Read();
            var rate = latencies.Count / latencies.Wall.TotalSeconds;
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {clients} | {latencies.Count} | {rate:0.0} | {latencies.Percentile(0.50):0.0} | {latencies.Percentile(0.99):0.0} | {(commandsAfter - commandsBefore) / (double)latencies.Count:0.0} | {(cpuAfter.App - cpuBefore.App).TotalMilliseconds / latencies.Count:0.00} | {(cpuAfter.Database - cpuBefore.Database).TotalMilliseconds / latencies.Count:0.00} | {tps:0.0} | {(cpuPgbench.Database - cpuAfter.Database).TotalMilliseconds / Math.Max(1, transactions):0.00} | **{rate / tps:0.00}** |"));
            Console.Error.WriteLine(rows[^1]);
        }

        return new StringBuilder()
            .AppendLine("| clients | randomizations | randomizations/s | p50 ms | p99 ms | SQL commands each | app CPU ms each | PostgreSQL CPU ms each | pgbench tps | PostgreSQL CPU ms per pgbench transaction | ratio |")
            .AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            .AppendJoin(Environment.NewLine, rows)
            .AppendLine()
            .ToString();
    }

    private static async Task<(string Coordinator, Guid TrialId)> SetUpTrialAsync(BenchApp app, int siteCount, int participantsPerSite)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<TrialDbContext>();
        db.AuditActorOverride = TrialManager.Web.Data.Audit.AuditActor.System("benchmark set-up");
        var roles = services.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in TrialRoles.All)
        {
            await roles.CreateAsync(new IdentityRole(role));
        }

        var users = services.GetRequiredService<UserManager<ApplicationUser>>();
        const string admin = "admin@bench.test", coordinator = "coordinator@bench.test";
        foreach (var (email, role) in new[] { (admin, TrialRoles.Administrator), (coordinator, TrialRoles.SiteCoordinator) })
        {
            var user = new ApplicationUser { UserName = email, Email = email, DisplayName = email, CreatedAt = DateTimeOffset.UtcNow };
            await users.CreateAsync(user, "benchmark-password-" + Guid.NewGuid().ToString("N"));
            await users.AddToRoleAsync(user, role);
        }

        var text = Generation.ScaleProtocol.Text(Generation.ScaleProtocol.LondonSites(siteCount), (participantsPerSite / 2) + 20, participantsPerSite + 20);
        var trialId = await app.AsUserAsync(admin, async s =>
        {
            var imported = await s.GetRequiredService<ProtocolImporter>().ImportAsync(text, "bench.yaml", new ProtocolImportActor("bench", "benchmark"));
            if (imported.Kind != ProtocolImportKind.NewTrial)
            {
                throw new InvalidOperationException("Benchmark protocol did not import: " + string.Join("; ", imported.Load.Errors));
            }

            var id = await s.GetRequiredService<TrialDbContext>().Trials.Select(t => t.Id).SingleAsync();
            var generated = await s.GetRequiredService<GenerateRandomizationList>().ExecuteAsync(id);
            return generated.Succeeded ? id : throw new InvalidOperationException("List generation failed");
        });

        var coordinatorId = (await users.FindByEmailAsync(coordinator))!.Id;
        var siteRows = await db.Sites.OrderBy(s => s.Code).ToListAsync();
        db.SiteMemberships.AddRange(siteRows.Select(s => new SiteMembership { UserId = coordinatorId, SiteId = s.Id }));
        var versionId = await db.ProtocolVersions.Select(v => v.Id).SingleAsync();
        var n = 0;
        foreach (var site in siteRows)
        {
            for (var i = 1; i <= participantsPerSite; i++)
            {
                db.Participants.Add(new Participant
                {
                    TrialId = trialId,
                    SiteId = site.Id,
                    Number = string.Create(CultureInfo.InvariantCulture, $"{site.Code}-{i:0000}"),
                    YearOfBirth = 1980,
                    Sex = "F",
                    ProtocolVersionId = versionId,
                    Status = ParticipantStatus.Eligible,
                    ConsentedOn = new DateOnly(2026, 11, 1),
                    EligibilityConfirmedAt = DateTimeOffset.UtcNow,
                    StratumLevels = n++ % 2 == 0 ? "baseline_severity=moderate" : "baseline_severity=moderately_severe",
                    CreatedAt = DateTimeOffset.UtcNow,
                });
            }
        }

        await db.SaveChangesAsync();
        return (coordinator, trialId);
    }

    private static async Task<Latencies> RandomizeManyAsync(BenchApp app, ConcurrentQueue<(Guid Participant, ClaimsPrincipal Actor)> queue, int clients, int count)
    {
        var latencies = new ConcurrentBag<double>();
        var remaining = count;
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Decrement(ref remaining) >= 0 && queue.TryDequeue(out var next))
            {
                var watch = Stopwatch.StartNew();
                var result = await app.AsAsync(next.Actor, s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(next.Participant));
                latencies.Add(watch.Elapsed.TotalMilliseconds);
                if (!result.Succeeded)
                {
                    throw new InvalidOperationException(string.Join(" ", result.Outcome.Errors.SelectMany(e => e.Value)));
                }
            }
        })));
        return latencies.IsEmpty ? throw new InvalidOperationException("No eligible participant was left to randomize.") : new Latencies(new Samples([.. latencies]), wall.Elapsed);
    }

    private sealed record Latencies(Samples Values, TimeSpan Wall)
    {
        public int Count => Values.Count;

        public double Percentile(double p) => Values.Percentile(p);
    }
}
