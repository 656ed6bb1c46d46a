using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace TrialManager.Benchmarks.Generation;

/// <summary>
/// Where a run's time goes, per kind of operation: how many, wall time, and SQL commands sent (counted by an EF Core
/// interceptor, Identity's included). Per-operation command counts do not depend on how busy the machine is, so they
/// are the figures to compare between runs.
/// </summary>
public sealed class GenerationProfile : DbCommandInterceptor
{
    private static readonly int Kinds = Enum.GetValues<StepKind>().Length;
    private readonly AsyncLocal<int> _current = new();
    private readonly long[] _steps = new long[Kinds + 1];
    private readonly long[] _ticks = new long[Kinds + 1];
    private readonly long[] _commands = new long[Kinds + 1];
    private (TimeSpan App, TimeSpan Database) _cpuAtStart;
    private (TimeSpan App, TimeSpan Database) _cpuUsed;

    /// <summary>The server's data folder, when known, so its processes' CPU time can be read (Linux only).</summary>
    public string? PostgresDataDirectory { get; set; }

    internal void StartSteps() => _cpuAtStart = (Process.GetCurrentProcess().TotalProcessorTime, PostgresCpu());

    internal void StopSteps() => _cpuUsed = (Process.GetCurrentProcess().TotalProcessorTime - _cpuAtStart.App, PostgresCpu() - _cpuAtStart.Database);

    internal async Task MeasureAsync(StepKind kind, Func<Task> work)
    {
        // Slot 0 is "outside any step" (set-up, counting); steps are 1-based.
        _current.Value = (int)kind + 1;
        var started = Stopwatch.GetTimestamp();
        try
        {
            await work();
        }
        finally
        {
            Interlocked.Add(ref _ticks[(int)kind + 1], Stopwatch.GetTimestamp() - started);
            Interlocked.Increment(ref _steps[(int)kind + 1]);
            _current.Value = 0;
        }
    }

    public IEnumerable<string> Lines()
    {
        var steps = Math.Max(1, _steps.Sum());
        yield return string.Create(CultureInfo.InvariantCulture,
            $"CPU per operation: app {_cpuUsed.App.TotalMilliseconds / steps:0.00} ms, PostgreSQL {(PostgresDataDirectory is null ? "not measured" : $"{_cpuUsed.Database.TotalMilliseconds / steps:0.00} ms")} ({steps:N0} operations, {Environment.ProcessorCount} cores).");
        yield return "";
        yield return "| operation | count | ms each | SQL commands each | share of time |";
        yield return "|---|---:|---:|---:|---:|";
        var total = _ticks.Sum();
        foreach (var kind in Enum.GetValues<StepKind>().OrderByDescending(k => _ticks[(int)k + 1]))
        {
            var i = (int)kind + 1;
            if (_steps[i] > 0)
            {
                yield return string.Create(CultureInfo.InvariantCulture,
                    $"| {kind} | {_steps[i]:N0} | {Stopwatch.GetElapsedTime(0, _ticks[i] / _steps[i]).TotalMilliseconds:0.0} | {(double)_commands[i] / _steps[i]:0.0} | {100.0 * _ticks[i] / Math.Max(1, total):0.0}% |");
            }
        }
    }

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result) => Counted(result);

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default) => ValueTask.FromResult(Counted(result));

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result) => Counted(result);

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default) => ValueTask.FromResult(Counted(result));

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result) => Counted(result);

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default) => ValueTask.FromResult(Counted(result));

    /// <summary>CPU time of the postmaster and its backends so far, from /proc (children that ended are in the postmaster's own counts).</summary>
    private TimeSpan PostgresCpu()
    {
        var pidFile = PostgresDataDirectory is null ? null : Path.Combine(PostgresDataDirectory, "postmaster.pid");
        if (!OperatingSystem.IsLinux() || pidFile is null || !File.Exists(pidFile) || !int.TryParse(File.ReadLines(pidFile).First(), CultureInfo.InvariantCulture, out var postmaster))
        {
            return TimeSpan.Zero;
        }

        long ticks = 0;
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(folder, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var pid = int.Parse(Path.GetFileName(folder), CultureInfo.InvariantCulture);
                if (pid == postmaster || int.Parse(fields[1], CultureInfo.InvariantCulture) == postmaster)
                {
                    // utime, stime, and for the postmaster also the time of children it has reaped.
                    ticks += fields.Skip(11).Take(pid == postmaster ? 4 : 2).Sum(f => long.Parse(f, CultureInfo.InvariantCulture));
                }
            }
            catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
            {
                // Not a process folder, or the process ended while being read.
            }
        }

        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    private T Counted<T>(T result)
    {
        Interlocked.Increment(ref _commands[_current.Value]);
        return result;
    }
}
