using System.Diagnostics;
using TrialManager.Benchmarks.Load;

namespace TrialManager.Benchmarks.Soak;

/// <summary>One instance's resident memory over the run, and whether it stayed flat.</summary>
internal sealed record MemoryVerdict(double StartMiB, double SecondQuarterMiB, double LastQuarterMiB, double EndMiB, double PeakMiB, int Samples, IReadOnlyList<double> Tenths)
{
    /// <summary>
    /// Growth allowed from the second quarter's mean to the last quarter's: 10 % plus 24 MiB. The first quarter is left
    /// out: a .NET server process is still warming up then (JIT and tiering, EF Core's compiled queries, Razor
    /// components, the connection pool, the server GC sizing its heaps to the load). After that a process without a
    /// leak holds a plateau, moving with how much garbage is live when a sample is taken: in this soak's runs the means
    /// of tenths of the run moved by 10-20 MiB around it, hence the fixed 24 MiB, which also carries a two-minute run
    /// whose second quarter is barely warm. The 10 % is for what grows with the trial itself while coordinators keep
    /// enrolling (longer participant lists and reports; a long run ended about 25 MiB above its second quarter, flat
    /// once enrolment stopped). A leak of a few KiB per request, hundreds of MiB over 90,000 requests, fails.
    /// </summary>
    public double Allowed => (SecondQuarterMiB * 0.10) + 24;

    public double Growth => LastQuarterMiB - SecondQuarterMiB;

    public bool Flat => Samples >= 8 && Growth <= Allowed;
}

/// <summary>Samples each app process's resident memory (VmRSS) every few seconds on the soak's clock.</summary>
internal sealed class MemorySampler(IReadOnlyList<AppInstance> instances, Stopwatch clock)
{
    private readonly List<(TimeSpan At, double[] ResidentMiB)> _samples = [];

    /// <summary>Problems reading /proc (a process that died): each is an error of the run.</summary>
    public List<string> Problems { get; } = [];

    public async Task RunAsync(TimeSpan until, TimeSpan every)
    {
        using var timer = new PeriodicTimer(every);
        do
        {
            var row = new double[instances.Count];
            for (var i = 0; i < instances.Count; i++)
            {
                try
                {
                    row[i] = instances[i].Memory().CurrentMiB;
                }
                catch (IOException e)
                {
                    Problems.Add($"instance {i + 1}: memory could not be read at {clock.Elapsed:mm\\:ss} ({e.Message}); did the process end?");
                    return;
                }
            }

            lock (_samples)
            {
                _samples.Add((clock.Elapsed, row));
            }
        }
        while (clock.Elapsed < until && await timer.WaitForNextTickAsync());
    }

    /// <summary>The verdict for one instance over a run of <paramref name="duration"/> that started at <paramref name="start"/> on the clock.</summary>
    public MemoryVerdict Verdict(int instance, TimeSpan start, TimeSpan duration)
    {
        List<(double Fraction, double MiB)> samples;
        lock (_samples)
        {
            samples = [.. _samples.Select(s => ((s.At - start) / duration, s.ResidentMiB[instance]))];
        }

        double Mean(double from, double to) => samples.Where(s => s.Fraction >= from && s.Fraction < to).Select(s => s.MiB).DefaultIfEmpty(double.NaN).Average();
        var warm = samples.FirstOrDefault(s => s.Fraction >= 0.10);
        return new MemoryVerdict(
            warm == default ? double.NaN : warm.MiB,
            Mean(0.25, 0.50),
            Mean(0.75, 1.01),
            samples.Count == 0 ? double.NaN : samples[^1].MiB,
            instances[instance].Memory().PeakMiB,
            samples.Count,
            [.. Enumerable.Range(0, 10).Select(i => Mean(i / 10.0, i == 9 ? 1.01 : (i + 1) / 10.0))]);
    }
}
