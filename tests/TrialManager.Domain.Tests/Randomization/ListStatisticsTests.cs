using System.Globalization;
using TrialManager.Domain.Randomization;
using Xunit.Abstractions;

namespace TrialManager.Domain.Tests.Randomization;

/// <summary>
/// Statistical properties over <see cref="RandomizationFixtures.ListCount"/> lists per shipped design (list i from the
/// fixed seed SHA-256("test-seed/lists/i")), so every run sees the same lists. Imbalance is computed here from its
/// definition, independently of <see cref="Imbalance"/>.
/// </summary>
public class ListStatisticsTests(ITestOutputHelper output)
{
    /// <summary>Significance level of every statistical test in this class.</summary>
    private const double Alpha = 0.01;

    /// <summary>
    /// Imbalance after n allocations, scaled by the ratio sum R to stay exact: D_a(n) = R·c_a − n·r_a, so the
    /// excess of arm a is D_a/R participants. Ratio-weighted imbalance W(n) = Σ_a |D_a(n)| / R participants. For
    /// 1:1 W(n) = |c_A − c_B|; for 2:1 (LSD:PBO) W(n) = 2·|c_PBO − n/3| = (4/3)·|c_PBO − c_LSD/2|, i.e. how far PBO's
    /// count is from half of LSD's, weighted so that a full deviation of one participant from the 2:1 split counts
    /// as it would in 1:1. Claim: W(n) ≤ s_max/2 always. Tight per-arm claim: |D_a|/R ≤ s_max·p_a(1 − p_a).
    /// </summary>
    [Theory]
    [InlineData("psilocybin", 6)]
    [InlineData("lsd", 6)]
    public void Running_imbalance_never_exceeds_half_the_largest_block(string name, int largestBlock)
    {
        var design = RandomizationFixtures.Design(name);
        var r = design.Arms.Select(a => a.Ratio).ToArray();
        var codes = design.Arms.Select(a => a.Code).ToList();
        var ratioSum = design.RatioSum;
        var worstWeighted = 0;
        var worstPerArm = 0;
        var sequences = 0;
        foreach (var stratum in RandomizationFixtures.ManyLists(name).SelectMany(l => l.Strata))
        {
            sequences++;
            var counts = new int[r.Length];
            var slots = stratum.Slots;
            var lastBlockComplete = slots[^1].BlockSize == slots.Count(s => s.BlockNumber == slots[^1].BlockNumber);
            for (var n = 1; n <= slots.Count; n++)
            {
                counts[codes.IndexOf(slots[n - 1].ArmCode)]++;
                var deviations = r.Select((ratio, a) => Math.Abs((ratioSum * counts[a]) - (n * ratio))).ToArray();
                worstWeighted = Math.Max(worstWeighted, deviations.Sum());
                worstPerArm = Math.Max(worstPerArm, deviations.Max());
                var completeBlockEnds = n == slots.Count ? lastBlockComplete : slots[n].BlockNumber != slots[n - 1].BlockNumber;
                if (completeBlockEnds)
                {
                    Assert.Equal(0, deviations.Sum());
                }
            }
        }

        // Bounds in units of 1/R participants.
        var halfLargestBlock = ratioSum * largestBlock / 2.0;
        var tightPerArm = r.Max(ratio => (largestBlock / ratioSum) * ratio * (ratioSum - ratio));
        output.WriteLine(Invariant($"{name}: {sequences} stratum lists; worst ratio-weighted imbalance W = {worstWeighted / (double)ratioSum:0.###} (bound s_max/2 = {largestBlock / 2.0}); worst per-arm excess = {worstPerArm / (double)ratioSum:0.###} participants (bound {tightPerArm / (double)ratioSum:0.###})"));
        Assert.Equal(design.Strata.Count * RandomizationFixtures.ListCount, sequences);
        Assert.True(worstWeighted <= halfLargestBlock);
        Assert.True(worstPerArm <= tightPerArm);
        Assert.Equal(tightPerArm, worstPerArm); // the bound is reached, so it is the design's true worst case
        Assert.Equal(design.Arms.Count == 2 ? 2 * tightPerArm : worstWeighted, worstWeighted);
        Assert.Equal(tightPerArm / (double)ratioSum, Imbalance.BlockBound(design.Arms, largestBlock), 12);
    }

    [Theory]
    [InlineData("psilocybin")]
    [InlineData("lsd")]
    public void Domain_imbalance_profile_agrees_with_the_definition(string name)
    {
        var design = RandomizationFixtures.Design(name);
        foreach (var sequence in RandomizationFixtures.Sequences(RandomizationFixtures.ManyLists(name)).Take(200))
        {
            var profile = Imbalance.Profile(design.Arms, sequence);
            for (var n = 0; n <= sequence.Length; n++)
            {
                var expected = design.Arms.Max(a => Math.Abs(sequence.Take(n).Count(x => x == a.Code) - (n * a.Ratio / (double)design.RatioSum)));
                Assert.Equal(expected, profile[n], 9);
            }
        }
    }

    [Theory]
    [InlineData("psilocybin")]
    [InlineData("lsd")]
    public void Allocation_totals_match_the_ratio_by_chi_square(string name)
    {
        var design = RandomizationFixtures.Design(name);
        var lists = RandomizationFixtures.ManyLists(name);
        var p = design.Arms.Select(a => a.Ratio / (double)design.RatioSum).ToArray();
        // Totals: complete blocks are exactly balanced, so only cut last blocks can move the totals; this test
        // mostly guards against a systematic error (such as a wrong arm count per block).
        var totals = design.Arms.Select(a => lists.Sum(l => (long)l.Strata.Sum(s => s.Slots.Count(x => x.ArmCode == a.Code)))).ToArray();
        var statistic = RandomizationFixtures.ChiSquare(totals, p);
        var pValue = RandomizationFixtures.ChiSquarePValue(statistic, design.Arms.Count - 1);
        output.WriteLine(Invariant($"{name}: totals {string.Join(" / ", totals)}; chi-square {statistic:0.####} (df {design.Arms.Count - 1}), p = {pValue:0.####}"));
        Assert.True(pValue > Alpha, $"totals {string.Join(", ", totals)}: p = {pValue}");

        // Sharper: the arm at each slot number, across the independent stratum lists, must follow the ratio.
        // Bonferroni over the slot numbers keeps the family-wise level at alpha.
        var sequences = RandomizationFixtures.Sequences(lists).ToList();
        var smallest = 1.0;
        for (var position = 0; position < design.SlotsPerStratum; position++)
        {
            var counts = design.Arms.Select(a => (long)sequences.Count(s => s[position] == a.Code)).ToArray();
            smallest = Math.Min(smallest, RandomizationFixtures.ChiSquarePValue(RandomizationFixtures.ChiSquare(counts, p), design.Arms.Count - 1));
        }

        output.WriteLine(Invariant($"{name}: per-slot chi-square over {sequences.Count} stratum lists, smallest p = {smallest:0.####} (Bonferroni threshold {Alpha / design.SlotsPerStratum:0.#####})"));
        Assert.True(smallest > Alpha / design.SlotsPerStratum, $"smallest p = {smallest}");
    }

    [Theory]
    [InlineData("psilocybin")]
    [InlineData("lsd")]
    public void Block_sizes_vary_and_each_allowed_size_is_drawn_equally_often(string name)
    {
        var design = RandomizationFixtures.Design(name);
        var lists = RandomizationFixtures.ManyLists(name);
        // (block number, drawn size) of every block: its first slot.
        var blocks = lists.SelectMany(l => l.Strata)
            .SelectMany(s => s.Slots.Where((x, i) => i == 0 || x.BlockNumber != s.Slots[i - 1].BlockNumber))
            .Select(x => (Key: x.BlockNumber, x.BlockSize))
            .ToList();

        // Overall shares (every drawn block, including cut last blocks).
        var shares = design.BlockSizes.Select(size => blocks.Count(b => b.BlockSize == size) / (double)blocks.Count).ToArray();
        output.WriteLine(Invariant($"{name}: {blocks.Count} blocks; shares {string.Join(", ", design.BlockSizes.Select((s, i) => $"{s}: {shares[i]:P2}"))}"));
        Assert.All(shares, share => Assert.InRange(share, (1.0 / shares.Length) - 0.01, (1.0 / shares.Length) + 0.01));

        // Exact test: the first floor(N / s_max) blocks of every stratum are always drawn, so their sizes are
        // independent uniform draws and their counts are multinomial.
        var always = design.SlotsPerStratum / design.BlockSizes[^1];
        var counts = design.BlockSizes.Select(size => (long)blocks.Count(b => b.Key <= always && b.BlockSize == size)).ToArray();
        var uniform = design.BlockSizes.Select(_ => 1.0 / design.BlockSizes.Count).ToArray();
        var pValue = RandomizationFixtures.ChiSquarePValue(RandomizationFixtures.ChiSquare(counts, uniform), counts.Length - 1);
        output.WriteLine(Invariant($"{name}: first {always} blocks of each stratum: {string.Join(" / ", counts)}, chi-square p = {pValue:0.####}"));
        Assert.All(counts, c => Assert.True(c > 0));
        Assert.True(pValue > Alpha, $"p = {pValue}");

        // Within a list, strata do not share their block pattern.
        Assert.True(lists.Count(l => l.Strata.Select(s => string.Join(',', s.Slots.Select(x => x.BlockSize))).Distinct().Count() < l.Strata.Count) < lists.Count / 100);
    }

    [Theory]
    [InlineData("psilocybin")]
    [InlineData("lsd")]
    public void Strata_of_one_list_are_independent(string name)
    {
        // Chi-square test of independence between two strata of the same list: arm at slots 1, 2 and N of
        // the first stratum against the same slot of every other stratum, over all lists.
        var design = RandomizationFixtures.Design(name);
        var lists = RandomizationFixtures.ManyLists(name);
        var codes = design.Arms.Select(a => a.Code).ToList();
        var tests = 0;
        var smallest = 1.0;
        for (var other = 1; other < design.Strata.Count; other++)
        {
            foreach (var position in new[] { 0, 1, design.SlotsPerStratum - 1 })
            {
                var table = new long[codes.Count, codes.Count];
                foreach (var list in lists)
                {
                    table[codes.IndexOf(list.Strata[0].Slots[position].ArmCode), codes.IndexOf(list.Strata[other].Slots[position].ArmCode)]++;
                }

                smallest = Math.Min(smallest, IndependencePValue(table));
                tests++;
            }
        }

        output.WriteLine(Invariant($"{name}: {tests} independence tests between strata, smallest p = {smallest:0.####}"));
        Assert.True(smallest > Alpha / tests, $"smallest p = {smallest}");
    }

    private static double IndependencePValue(long[,] table)
    {
        var rows = table.GetLength(0);
        var columns = table.GetLength(1);
        var total = 0.0;
        var rowSums = new double[rows];
        var columnSums = new double[columns];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < columns; j++)
            {
                rowSums[i] += table[i, j];
                columnSums[j] += table[i, j];
                total += table[i, j];
            }
        }

        var statistic = 0.0;
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < columns; j++)
            {
                var expected = rowSums[i] * columnSums[j] / total;
                statistic += Math.Pow(table[i, j] - expected, 2) / expected;
            }
        }

        return RandomizationFixtures.ChiSquarePValue(statistic, (rows - 1) * (columns - 1));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
