using System.Text;
using TrialManager.Benchmarks.Soak;
using TrialManager.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TrialManager.Web.Tests.Reliability;

/// <summary>
/// The soak in its CI form: the benchmark's soak (bench/.../Soak, run for 30 minutes outside CI) for two minutes, on
/// this run's PostgreSQL server: sixteen people enrolling, entering visits, reporting adverse events and downloading
/// documents through the pages of two app processes, then a crawl of what each blinded role can reach. No request may
/// fail, nothing may be logged as an error, no arm may show to a blinded person, and memory must stay flat; and every
/// kind of work must have been done, so it cannot pass by doing nothing. No timing is asserted.
/// </summary>
public class SoakTests(ITestOutputHelper output)
{
    /// <summary>Each kind of work the two minutes must have done at least a few times.</summary>
    private static readonly string[] Kinds =
    [
        SoakOperations.Enrol, SoakOperations.Visit, SoakOperations.AdverseEvent, SoakOperations.FollowUp,
        SoakOperations.VisitCrfPdf, SoakOperations.CasebookPdf, SoakOperations.SaeReportPdf, SoakOperations.BlankCrfPdf,
        SoakOperations.Worklist, SoakOperations.Timeline, SoakOperations.SafetyDashboard, SoakOperations.DsmbOpen, SoakOperations.DsmbClosed,
    ];

    [Fact]
    public async Task Two_minutes_of_mixed_traffic_on_two_instances_leave_no_error_no_leak_and_flat_memory()
    {
        var server = await PostgresServer.GetAsync();
        var result = await SoakRun.RunAsync(new SoakOptions
        {
            Duration = TimeSpan.FromMinutes(2),
            CreateDatabase = () => server.CreateDatabaseAsync("tm_soak"),
            Progress = new OutputWriter(output),
        });
        var report = result.Markdown();
        output.WriteLine(report);
        Keep(report);

        Assert.True(result.Errors == 0, $"{result.Errors} errors:\n{string.Join('\n', result.ErrorLines)}");
        Assert.True(result.LogErrors == 0, $"{result.LogErrors} errors logged by the app:\n{string.Join('\n', result.LogErrorLines)}");
        Assert.True(result.Leaks == 0, $"{result.Leaks} arm leaks:\n{string.Join('\n', result.LeakLines)}");
        Assert.True(result.ArmsShowToTheUnblinded, result.PositiveControlProblem);
        Assert.True(result.MemoryFlat, "Memory grew:\n" + report);

        var operations = result.Operations;
        var missing = Kinds.Where(k => operations.GetValueOrDefault(k) < 3).ToList();
        Assert.True(missing.Count == 0, $"Too little of: {string.Join(", ", missing.Select(k => $"{k} ({operations.GetValueOrDefault(k)})"))}");
        Assert.True(result.Requests >= 500, $"{result.Requests} requests in two minutes");
        Assert.True(result.Crawled >= 100, $"The crawl read {result.Crawled} pages and files");
    }

    /// <summary>The report beside the other test artefacts, for a look after a CI run.</summary>
    private static void Keep(string report)
    {
        var root = Environment.GetEnvironmentVariable("TRIALMANAGER_ARTIFACTS");
        var dir = Path.Combine(string.IsNullOrWhiteSpace(root) ? Path.Combine(Path.GetTempPath(), "trialmanager-artifacts") : root, "soak");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "soak-2-minutes.md"), report);
    }

    /// <summary>The soak's progress lines into the test's output.</summary>
    private sealed class OutputWriter(ITestOutputHelper output) : TextWriter
    {
        private readonly StringBuilder _line = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_line)
            {
                if (value == '\n')
                {
                    output.WriteLine(_line.ToString().TrimEnd('\r'));
                    _line.Clear();
                }
                else
                {
                    _line.Append(value);
                }
            }
        }

        public override void WriteLine(string? value)
        {
            lock (_line)
            {
                output.WriteLine(_line + (value ?? ""));
                _line.Clear();
            }
        }
    }
}
