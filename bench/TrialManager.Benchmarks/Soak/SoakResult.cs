using System.Globalization;
using System.Text;

namespace TrialManager.Benchmarks.Soak;

/// <summary>What a soak gathered: the traffic's ledger, memory, the app logs, the crawls, and the sites' enrolment.</summary>
internal sealed record SoakFindings(
    SoakLedger Ledger,
    IReadOnlyList<MemoryVerdict> Memory,
    IReadOnlyList<string> MemoryProblems,
    IReadOnlyList<AppLog> Logs,
    IReadOnlyList<CrawlReport> Crawls,
    string? PositiveControlProblem,
    IReadOnlyDictionary<string, SoakSite> Sites,
    TimeSpan Elapsed);

/// <summary>A soak's figures and verdict, and its report as markdown.</summary>
public sealed class SoakResult
{
    private readonly SoakOptions _options;
    private readonly SoakFindings _findings;

    internal SoakResult(SoakOptions options, SoakFindings findings)
    {
        _options = options;
        _findings = findings;
    }

    /// <summary>Requests the simulated people made (the crawl's are counted apart).</summary>
    public long Requests => _findings.Ledger.TotalRequests;

    /// <summary>Failed operations of the traffic, crawl errors (5xx, no answer, lost session) and memory that could not be read.</summary>
    public int Errors => _findings.Ledger.ErrorCount + _findings.Crawls.Sum(c => c.Errors.Count) + _findings.MemoryProblems.Count;

    public IReadOnlyList<string> ErrorLines =>
        [.. _findings.Ledger.FirstErrors.Select(e => e.ToString()), .. _findings.Crawls.SelectMany(c => c.Errors.Select(e => $"crawl as {c.Person}: {e}")), .. _findings.MemoryProblems];

    /// <summary>Errors, critical entries and exceptions in the app processes' logs.</summary>
    public int LogErrors => _findings.Logs.Sum(l => l.Errors);

    public IReadOnlyList<string> LogErrorLines => [.. _findings.Logs.SelectMany((l, i) => l.FirstErrors.Select(e => $"instance {i + 1}: {e}"))];

    /// <summary>Arm codes or labels found by a blinded person's crawl.</summary>
    public int Leaks => _findings.Crawls.Sum(c => c.Leaks.Count);

    public IReadOnlyList<string> LeakLines => [.. _findings.Crawls.SelectMany(c => c.Leaks.Select(l => $"{c.Person}: {l}"))];

    /// <summary>Pages, PDFs and text files the crawl read, all roles together.</summary>
    public int Crawled => _findings.Crawls.Sum(c => c.Pages + c.Pdfs + c.TextFiles);

    /// <summary>The positive control: the crawler, as a DSMB member, finds every arm code and label on the closed report.</summary>
    public bool ArmsShowToTheUnblinded => _findings.PositiveControlProblem is null;

    public string? PositiveControlProblem => _findings.PositiveControlProblem;

    public bool MemoryFlat => _findings.Memory.All(m => m.Flat);

    /// <summary>Operations done without error, by name (<see cref="SoakOperations"/>).</summary>
    public IReadOnlyDictionary<string, long> Operations => _findings.Ledger.Operations.ToDictionary(o => o.Key, o => o.Value.Succeeded, StringComparer.Ordinal);

    public bool Passed => Errors == 0 && LogErrors == 0 && Leaks == 0 && MemoryFlat && ArmsShowToTheUnblinded;

    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"{(Passed ? "PASSED" : "FAILED")}: {Requests:N0} requests, {Errors} errors, {LogErrors} log errors, {Leaks} leaks in {Crawled} crawled pages and files, memory {(MemoryFlat ? "flat" : "NOT flat")} ({string.Join("; ", _findings.Memory.Select((m, i) => $"instance {i + 1} {m.StartMiB:0} → {m.EndMiB:0} MiB"))})");

    public string Markdown()
    {
        var md = new StringBuilder();
        var minutes = _options.Duration.TotalMinutes;
        md.AppendLine(Invariant($"{_options.Users} simulated people for {minutes:0.#} min over HTTP against two app processes on one PostgreSQL database (each person's requests alternate between them), then a crawl of what the blinded roles can reach. Whole run {_findings.Elapsed.TotalMinutes:0.0} min."))
            .AppendLine()
            .AppendLine(Invariant($"**{(Passed ? "Passed" : "FAILED")}**: {Errors} errors, {LogErrors} logged errors, {Leaks} arm leaks, memory {(MemoryFlat ? "flat" : "**not flat**")}{(ArmsShowToTheUnblinded ? "" : $"; the leak check's positive control failed: {_findings.PositiveControlProblem}")}."))
            .AppendLine();

        md.AppendLine("### Requests").AppendLine()
            .AppendLine("| kind | instance 1 | instance 2 | total |")
            .AppendLine("|---|---:|---:|---:|");
        foreach (var kind in Enum.GetValues<RequestKind>())
        {
            var name = kind switch
            {
                RequestKind.Page => "pages (GET, HTML)",
                RequestKind.Redirect => "redirects (a GET sent elsewhere)",
                RequestKind.Form => "form posts",
                _ => "PDF downloads",
            };
            md.AppendLine(Invariant($"| {name} | {_findings.Ledger.Requests(kind, 0):N0} | {_findings.Ledger.Requests(kind, 1):N0} | {_findings.Ledger.Requests(kind, 0) + _findings.Ledger.Requests(kind, 1):N0} |"));
        }

        md.AppendLine(Invariant($"| **all** ({Requests / _options.Duration.TotalSeconds:0.0}/s) | {_findings.Ledger.Requests(0):N0} | {_findings.Ledger.Requests(1):N0} | **{Requests:N0}** |"))
            .AppendLine();

        md.AppendLine("### Operations").AppendLine()
            .AppendLine(Invariant($"Randomized: {string.Join(", ", _findings.Sites.Values.Select(s => $"{s.Code} {s.Randomized}"))} (cap {_options.EnrolmentsPerSite} per site, the list and stock sized for it)."))
            .AppendLine()
            .AppendLine("| operation | done | failed |")
            .AppendLine("|---|---:|---:|");
        foreach (var (name, tally) in _findings.Ledger.Operations.OrderByDescending(o => o.Value.Succeeded + o.Value.FailedCount))
        {
            md.AppendLine(Invariant($"| {name} | {tally.Succeeded:N0} | {tally.FailedCount:N0} |"));
        }

        md.AppendLine();
        if (Errors > 0)
        {
            md.AppendLine(Invariant($"Errors (first {ErrorLines.Count} of {Errors}):")).AppendLine();
            foreach (var line in ErrorLines)
            {
                md.AppendLine("- " + line);
            }

            md.AppendLine();
        }

        md.AppendLine("### App logs").AppendLine()
            .AppendLine("| instance | errors | warnings | most frequent warning |")
            .AppendLine("|---|---:|---:|---|");
        foreach (var (log, i) in _findings.Logs.Select((l, i) => (l, i)))
        {
            var top = log.WarningKinds.Count > 0 ? log.WarningKinds[0] : default;
            md.AppendLine(Invariant($"| {i + 1} | {log.Errors} | {log.Warnings} | {(top.Count > 0 ? $"{top.Count} × {Cell(top.Warning)}" : "")} |"));
        }

        md.AppendLine();
        foreach (var line in LogErrorLines)
        {
            md.AppendLine("- " + line);
        }

        md.AppendLine("### Blinding crawl").AppendLine()
            .AppendLine(Invariant($"Every link from home (GET, same origin) on instance 1, at most {_options.CrawlPerShape} addresses per shape and {_options.CrawlRequests} requests per person, searched for the arm codes and labels ({string.Join(", ", SoakTrial.ArmSecrets.Select(s => $"`{s}`"))}): page text and attributes, PDF text and bytes, file names. Positive control: the same crawl signed in as a DSMB member {(ArmsShowToTheUnblinded ? "finds every one of them on the closed report" : "**does not find them**")}."))
            .AppendLine()
            .AppendLine("| person | pages | PDFs | other files | refused (4xx) | errors | left out by the limits | leaks |")
            .AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var crawl in _findings.Crawls)
        {
            md.AppendLine(Invariant($"| {crawl.Person} | {crawl.Pages} | {crawl.Pdfs}{(crawl.PdfsUnread > 0 ? $" ({crawl.PdfsUnread} unread: no pdftotext)" : "")} | {crawl.TextFiles} | {crawl.Refused.Count} | {crawl.Errors.Count} | {crawl.LeftOut}{(crawl.Truncated ? " (stopped at the request limit)" : "")} | {crawl.Leaks.Count} |"));
        }

        md.AppendLine();
        foreach (var line in LeakLines.Take(20))
        {
            md.AppendLine("- " + line);
        }

        foreach (var crawl in _findings.Crawls.Where(c => c.Refused.Count > 0 || c.Unread.Count > 0))
        {
            md.AppendLine(Invariant($"- {crawl.Person}: refused {string.Join("; ", crawl.Refused.Take(5))}{(crawl.Refused.Count > 5 ? " …" : "")}{(crawl.Unread.Count > 0 ? "; not read: " + string.Join("; ", crawl.Unread.Take(5)) : "")}"));
        }

        md.AppendLine();

        md.AppendLine("### Memory").AppendLine()
            .AppendLine("Resident memory (VmRSS) of each app process, sampled every few seconds; start is the first sample after 10 % of the run (warm), peak is the process's high-water mark (VmHWM). Flat: the last quarter's mean exceeds the second quarter's by at most 10 % + 24 MiB.")
            .AppendLine()
            .AppendLine("| instance | start MiB | 2nd quarter mean | last quarter mean | end MiB | peak MiB | growth MiB (allowed) | flat |")
            .AppendLine("|---|---:|---:|---:|---:|---:|---:|---|");
        foreach (var (m, i) in _findings.Memory.Select((m, i) => (m, i)))
        {
            md.AppendLine(Invariant($"| {i + 1} | {m.StartMiB:0} | {m.SecondQuarterMiB:0} | {m.LastQuarterMiB:0} | {m.EndMiB:0} | {m.PeakMiB:0} | {m.Growth:+0;-0} ({m.Allowed:0}) | {(m.Flat ? "yes" : "**no**")} |"));
        }

        md.AppendLine()
            .AppendLine("Mean resident MiB in each tenth of the run:")
            .AppendLine();
        foreach (var (m, i) in _findings.Memory.Select((m, i) => (m, i)))
        {
            md.AppendLine(Invariant($"- instance {i + 1}: {string.Join(" · ", m.Tenths.Select(t => t.ToString("0", CultureInfo.InvariantCulture)))}"));
        }

        return md.ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Cell(string text) => (text.Length > 120 ? text[..120] + "…" : text).Replace("|", "\\|", StringComparison.Ordinal);
}
