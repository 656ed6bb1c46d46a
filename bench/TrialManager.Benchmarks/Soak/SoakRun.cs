using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using TrialManager.Benchmarks.Load;
using TrialManager.Web.Hosting;

namespace TrialManager.Benchmarks.Soak;

/// <summary>
/// The soak (issue 14): a fresh trial, two app processes on one database, simulated people doing a trial's daily work
/// through the pages for a set time, then a crawl of everything the blinded roles can reach. It passes with no error
/// (of a request, of the app's log, of the crawl), no arm found by a blinded person, and memory flat in both processes.
/// Everything is local: its own PostgreSQL cluster (or a test's server), loopback ports, temporary folders.
/// </summary>
public static class SoakRun
{
    public static async Task<SoakResult> RunAsync(SoakOptions options)
    {
        var progress = options.Progress ?? TextWriter.Null;
        var total = Stopwatch.StartNew();
        EmbeddedPostgres? cluster = null;
        var keys = Directory.CreateTempSubdirectory("trialmanager-soak-keys-");
        var instances = new List<AppInstance>();
        try
        {
            string connection;
            if (options.CreateDatabase is { } create)
            {
                connection = await create();
            }
            else
            {
                progress.WriteLine("Starting a throwaway PostgreSQL cluster ...");
                cluster = await EmbeddedPostgres.StartThrowawayAsync(null, NullLogger.Instance);
                await cluster.EnsureDatabaseAsync("soak");
                connection = cluster.ConnectionString("soak");
            }

            progress.WriteLine($"Setting up {SoakTrial.Code}: accounts, protocol, sealed list and kits for {options.EnrolmentsPerSite} participants per site ...");
            var masterKey = Web.Sealing.MasterKey.NewBase64();
            var trial = await SoakTrial.SetUpAsync(connection, masterKey, options.EnrolmentsPerSite);
            NpgsqlConnection.ClearAllPools();

            var settings = new Dictionary<string, string>
            {
                ["ConnectionStrings:TrialManager"] = connection,
                ["TrialManager:MasterKey"] = masterKey,
                ["TrialManager:SeedDemo"] = "false",
                ["TrialManager:MigrateOnStart"] = "false",
                ["TrialManager:DataProtectionKeysDirectory"] = keys.FullName,
                // Sixteen people sign in from one address within seconds; the limit is for guessing, not for them.
                ["TrialManager:SignInAttemptsPerMinute"] = "100000",
                // The stock is sized for the whole run; a resupply would only add shipments nobody receives.
                ["TrialManager:Supply:ResupplyCheckHours"] = "0",
            };
            var logs = new List<AppLog>();
            for (var i = 0; i < 2; i++)
            {
                // One after the other: the first creates the shared data-protection key, the second reads it.
                progress.WriteLine($"Starting app instance {i + 1} ...");
                var log = new AppLog();
                logs.Add(log);
                instances.Add(await AppInstance.StartAsync(settings, log.Line));
            }

            var outcome = await TrafficAsync(options, trial, instances, progress);
            progress.WriteLine("Crawling as the blinded roles ...");
            // The crawl's requests are its own, not the traffic's: counted apart.
            var crawlLedger = new SoakLedger(instances.Count);
            var crawls = await CrawlAsync(options, trial, instances, crawlLedger);
            var positiveControl = await ArmsShowToTheUnblindedAsync(options, trial, instances, crawlLedger);

            foreach (var (instance, log) in instances.Zip(logs))
            {
                await instance.KillAsync();
                log.StandardError(await instance.ErrorOutput);
            }

            return new SoakResult(options, new SoakFindings(outcome.Ledger, outcome.Memory, outcome.MemoryProblems, logs, crawls, positiveControl, outcome.Sites, total.Elapsed));
        }
        finally
        {
            foreach (var instance in instances)
            {
                await instance.DisposeAsync();
            }

            NpgsqlConnection.ClearAllPools();
            if (cluster is not null)
            {
                await cluster.DisposeAsync();
            }

            keys.Delete(recursive: true);
        }
    }

    private sealed record Traffic(SoakLedger Ledger, IReadOnlyList<MemoryVerdict> Memory, IReadOnlyList<string> MemoryProblems, IReadOnlyDictionary<string, SoakSite> Sites);

    private static async Task<Traffic> TrafficAsync(SoakOptions options, SoakTrial trial, List<AppInstance> instances, TextWriter progress)
    {
        var addresses = instances.Select(i => i.Address).ToList();
        var ledger = new SoakLedger(instances.Count);
        var sites = trial.SiteZones.Keys.ToDictionary(code => code, code => new SoakSite(code, options.EnrolmentsPerSite), StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        var shared = new SoakShared(trial, sites, SoakVisitStep.From(trial.Protocol), ledger, options, clock);
        var parts = Enumerable.Range(0, options.Users).Select(i => SoakCast.Parts[i % SoakCast.Parts.Count]).ToList();
        var browsers = parts.Select((_, i) => new SoakBrowser(addresses, ledger, options.RequestTimeout, firstTurn: i)).ToList();
        try
        {
            progress.WriteLine($"{parts.Count} people at work for {options.Duration.TotalMinutes:0.#} min ...");
            var sampler = new MemorySampler(instances, clock);
            var every = TimeSpan.FromSeconds(Math.Clamp(options.Duration.TotalSeconds / 360, 1, 5));
            var sampling = sampler.RunAsync(options.Duration, every);
            using var stop = new CancellationTokenSource();
            var reporting = ReportProgressAsync(progress, ledger, sites, instances, clock, options.Duration, stop.Token);
            await Task.WhenAll(parts.Select((part, i) => Task.Run(() => new SoakPerson(part, browsers[i], shared, options.Seed + i).WorkAsync(options.Duration))));
            await sampling;
            await stop.CancelAsync();
            await reporting;
            var memory = instances.Select((_, i) => sampler.Verdict(i, TimeSpan.Zero, options.Duration)).ToList();
            return new Traffic(ledger, memory, sampler.Problems, sites);
        }
        finally
        {
            foreach (var browser in browsers)
            {
                browser.Dispose();
            }
        }
    }

    /// <summary>A line a minute (or ten a short run), so a long soak can be watched.</summary>
    private static async Task ReportProgressAsync(TextWriter progress, SoakLedger ledger, IReadOnlyDictionary<string, SoakSite> sites, IReadOnlyList<AppInstance> instances, Stopwatch clock, TimeSpan duration, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Clamp(duration.TotalSeconds / 10, 10, 60)));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var memory = string.Join(", ", instances.Select(i => i.Memory().CurrentMiB.ToString("0", CultureInfo.InvariantCulture) + " MiB"));
                progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {clock.Elapsed:mm\\:ss} {ledger.TotalRequests} requests, {ledger.ErrorCount} errors, randomized {string.Join(", ", sites.Values.Select(s => $"{s.Code} {s.Randomized}"))}; resident {memory}"));
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
            // A process that ended is reported by the sampler.
        }
    }

    private static async Task<IReadOnlyList<CrawlReport>> CrawlAsync(SoakOptions options, SoakTrial trial, IReadOnlyList<AppInstance> instances, SoakLedger ledger)
    {
        var addresses = instances.Select(i => i.Address).ToList();
        var reports = new List<CrawlReport>();
        foreach (var part in SoakCast.BlindedCrawlers)
        {
            using var browser = new SoakBrowser(addresses, ledger, options.RequestTimeout, only: 0);
            var report = new CrawlReport(part.DisplayName);
            try
            {
                await browser.SignInAsync(part.Email, trial.Password, trial.AuthenticatorKey(part));
                report = await new BlindCrawler(browser, SoakTrial.ArmSecrets, options.CrawlPerShape, options.CrawlRequests).CrawlAsync(part.DisplayName);
            }
            catch (UnexpectedAnswerException failure)
            {
                report.Errors.Add($"signing in: {failure.Message}");
            }

            options.Progress?.WriteLine($"  {part.DisplayName}: {report.Pages} pages, {report.Pdfs} PDFs, {report.Leaks.Count} leaks, {report.Errors.Count} errors");
            reports.Add(report);
        }

        return reports;
    }

    /// <summary>
    /// The check's positive control: the same crawler, signed in as a DSMB member (unblinded by design), must find the
    /// arms, on the closed report; otherwise a clean crawl of the blinded roles would prove nothing.
    /// </summary>
    /// <returns>Null when it found them there; else what went wrong.</returns>
    private static async Task<string?> ArmsShowToTheUnblindedAsync(SoakOptions options, SoakTrial trial, IReadOnlyList<AppInstance> instances, SoakLedger ledger)
    {
        using var browser = new SoakBrowser([.. instances.Select(i => i.Address)], ledger, options.RequestTimeout, only: 0);
        try
        {
            await browser.SignInAsync(SoakCast.Unblinded.Email, trial.Password, trial.AuthenticatorKey(SoakCast.Unblinded));
            var report = await new BlindCrawler(browser, SoakTrial.ArmSecrets, perShape: 2, maxRequests: 120).CrawlAsync(SoakCast.Unblinded.DisplayName);
            var closed = $"/trials/{SoakTrial.Code}/dsmb/closed ";
            var found = SoakTrial.ArmSecrets.Where(s => report.Leaks.Any(l => l.StartsWith(closed, StringComparison.Ordinal) && l.Contains($"\"{s}\"", StringComparison.Ordinal))).ToList();
            return found.Count == SoakTrial.ArmSecrets.Count
                ? null
                : $"crawling as {SoakCast.Unblinded.DisplayName} found {string.Join(", ", found.DefaultIfEmpty("nothing"))} on the DSMB closed report ({report.Pages} pages read): the crawl of the blinded would not see the arms either";
        }
        catch (UnexpectedAnswerException failure)
        {
            return $"the positive control could not sign in: {failure.Message}";
        }
    }
}
