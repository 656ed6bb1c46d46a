using System.Globalization;
using System.Text;

namespace TrialManager.Domain.Randomization;

/// <summary>Mean, 95th percentile (nearest rank) and maximum of a simulated quantity.</summary>
public sealed record DistributionSummary(double Mean, double Percentile95, double Maximum)
{
    public static DistributionSummary Of(IReadOnlyCollection<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            throw new ArgumentException("No values to summarize.", nameof(values));
        }

        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(0.95 * sorted.Length);
        return new DistributionSummary(sorted.Average(), sorted[rank - 1], sorted[^1]);
    }
}

/// <summary>
/// One stratum's simulated imbalance, in participants (see <see cref="Imbalance"/>): the worst running imbalance
/// over the whole stratum list, and the imbalance left if the stratum stops at a random point (a number of
/// participants drawn uniformly from 1 to the slots per stratum).
/// </summary>
public sealed record StratumSimulation(StratumKey Stratum, DistributionSummary WorstRunningImbalance, DistributionSummary ImbalanceAtRandomStop);

/// <summary>How many simulated blocks had a size, and their share of all simulated blocks.</summary>
public sealed record BlockSizeShare(int Size, long Blocks, double Share);

/// <summary>
/// A report for the sponsor statistician on what the randomization design does, from lists simulated with a
/// simulation seed; the real list is never used (and the simulated lists' seeds are derived under their own
/// label, so they cannot coincide with it). Pass a fresh random seed, not the list's seed. Immutable.
/// </summary>
public sealed record SimulationReport(
    int Runs,
    string Ratio,
    IReadOnlyList<int> BlockSizes,
    int SlotsPerStratum,
    double ImbalanceBound,
    IReadOnlyList<StratumSimulation> Strata,
    IReadOnlyList<BlockSizeShare> BlockSizeShares,
    GuessingResult Guessing,
    IReadOnlyList<GuessingResult> FixedBlockGuessing)
{
    public const string StreamLabel = "trialmanager/simulation/v1";

    public static SimulationReport Run(RandomizationDesign design, int runs, ReadOnlySpan<byte> seed)
    {
        ArgumentNullException.ThrowIfNull(design);
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        var seeds = new SeededStream(seed, StreamLabel + "|lists");
        var stops = new SeededStream(seed, StreamLabel + "|stops");
        var worst = design.Strata.Select(_ => new List<double>(runs)).ToArray();
        var atStop = design.Strata.Select(_ => new List<double>(runs)).ToArray();
        var blocks = design.BlockSizes.ToDictionary(s => s, _ => 0L);
        var lists = new List<RandomizationList>(runs);
        var listSeed = new byte[SeededStream.SeedLength];
        for (var run = 0; run < runs; run++)
        {
            seeds.NextBytes(listSeed);
            var list = ListGenerator.Generate(design, listSeed);
            lists.Add(list);
            for (var s = 0; s < list.Strata.Count; s++)
            {
                var slots = list.Strata[s].Slots;
                var profile = Imbalance.Profile(design.Arms, [.. slots.Select(x => x.ArmCode)]);
                worst[s].Add(profile.Max());
                atStop[s].Add(profile[1 + stops.NextInt(slots.Count)]);
                foreach (var block in slots.GroupBy(x => x.BlockNumber))
                {
                    blocks[block.First().BlockSize]++;
                }
            }
        }

        var totalBlocks = blocks.Values.Sum();
        var fixedSeed = new byte[SeededStream.SeedLength];
        new SeededStream(seed, StreamLabel + "|guessing").NextBytes(fixedSeed);
        return new SimulationReport(
            runs,
            design.RatioText,
            design.BlockSizes,
            design.SlotsPerStratum,
            Imbalance.BlockBound(design.Arms, design.BlockSizes[^1]),
            design.Strata.Select((stratum, s) => new StratumSimulation(stratum, DistributionSummary.Of(worst[s]), DistributionSummary.Of(atStop[s]))).ToList().AsReadOnly(),
            blocks.Select(b => new BlockSizeShare(b.Key, b.Value, b.Value / (double)totalBlocks)).ToList().AsReadOnly(),
            GuessingStrategy.Measure(design, lists),
            design.BlockSizes.Select(size => GuessingStrategy.MeasureFixedBlocks(design, size, runs, fixedSeed)).ToList().AsReadOnly());
    }

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine("# Randomization design simulation")
            .AppendLine()
            .AppendLine(Invariant($"{Runs} simulated lists (never the real list). Ratio {Ratio}; block sizes {string.Join(", ", BlockSizes)}, each drawn with equal probability; {SlotsPerStratum} slots per stratum."))
            .AppendLine()
            .AppendLine("Imbalance after n participants in a stratum: the largest |count of an arm − n × its ratio share|, in participants.")
            .AppendLine("With two arms the difference between the arms' counts, weighted by the ratio, is twice this.")
            .AppendLine(Invariant($"Permuted blocks guarantee it never exceeds {ImbalanceBound:0.###} (largest block × max p(1 − p)); it is 0 at every block end."))
            .AppendLine()
            .AppendLine("## Imbalance per stratum")
            .AppendLine()
            .AppendLine("| Stratum | Worst running imbalance: mean | p95 | max | Imbalance if the stratum stops at a random point: mean | p95 | max |")
            .AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var stratum in Strata)
        {
            var w = stratum.WorstRunningImbalance;
            var s = stratum.ImbalanceAtRandomStop;
            text.AppendLine(Invariant($"| `{stratum.Stratum}` | {w.Mean:0.###} | {w.Percentile95:0.###} | {w.Maximum:0.###} | {s.Mean:0.###} | {s.Percentile95:0.###} | {s.Maximum:0.###} |"));
        }

        text.AppendLine()
            .AppendLine("## Block sizes")
            .AppendLine()
            .AppendLine("| Size | Blocks | Share |")
            .AppendLine("|---:|---:|---:|");
        foreach (var share in BlockSizeShares)
        {
            text.AppendLine(Invariant($"| {share.Size} | {share.Blocks} | {Percent(share.Share, 1)} |"));
        }

        text.AppendLine()
            .AppendLine("## Predictability")
            .AppendLine()
            .AppendLine("An observer who sees every past allocation in a stratum guesses the arm that is behind (convergence strategy).")
            .AppendLine(Invariant($"Without seeing anything the best guess is right {Percent(Guessing.NoInformationRate, 1)} of the time."))
            .AppendLine("Certain: share of allocations that someone who also knows the allowed block sizes could name with certainty.")
            .AppendLine("Fixed-size rows show the same design with one block size, for comparison: mixing sizes hides where blocks end.")
            .AppendLine()
            .AppendLine("| Blocks | Correct guesses (simulated) | Expected (exact) | Certain |")
            .AppendLine("|---|---:|---:|---:|");
        AppendGuessing(text, $"random {string.Join("/", Guessing.BlockSizes)} (this design)", Guessing);
        foreach (var result in FixedBlockGuessing)
        {
            AppendGuessing(text, $"fixed {result.BlockSizes[0]}", result);
        }

        return text.ToString();
    }

    private static void AppendGuessing(StringBuilder text, string label, GuessingResult result) =>
        text.AppendLine(Invariant($"| {label} | {Percent(result.CorrectRate, 2)} ± {Percent(result.StandardError, 2)} | {Percent(result.ExpectedRate, 2)} | {Percent(result.CertainShare, 2)} |"));

    private static string Percent(double share, int decimals) =>
        (share * 100).ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) + "%";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
