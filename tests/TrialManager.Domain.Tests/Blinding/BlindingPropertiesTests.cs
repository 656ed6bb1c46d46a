using TrialManager.Domain.Blinding;

namespace TrialManager.Domain.Tests.Blinding;

/// <summary>
/// Properties over many seeded random tables (2 to 4 arms, cells 0..12 with many zeros, so empty arms, one-arm
/// guesses and all-"don't know" tables all occur), and an independent check of James' variance: the large-sample
/// variance of a function f of multinomial proportions is (1/N)·[Σ_c p_c·g_c² − (Σ_c p_c·g_c)²] with g_c = ∂f/∂p_c
/// (delta method). Here g_c comes from central differences on the counts, and f is BI written the other way round,
/// BI = P_dk + G·P_o / (2·P_e), from raw sums, not from <see cref="JamesIndex"/>.
/// </summary>
public class BlindingPropertiesTests
{
    private const int Tables = 2000;

    private static readonly string[] ArmCodes = ["A", "B", "C", "D"];

    [Fact]
    public void Bang_is_within_minus_one_and_one_and_James_within_zero_and_one_and_nothing_is_NaN()
    {
        var random = new Random(20040415);
        for (var t = 0; t < Tables; t++)
        {
            var table = RandomTable(random, out _);
            var summary = BlindingSummary.Of(table);

            foreach (var bang in summary.Bang)
            {
                Assert.Equal(bang.N == 0, bang.Estimate is null);
                if (bang.Estimate is { } e)
                {
                    Assert.InRange(e.Value, -1.0, 1.0);
                    AssertFinite(e);
                }
            }

            var james = summary.James;
            Assert.Equal(james.Estimate is null, james.UndefinedReason is not null);
            if (james.Estimate is { } j)
            {
                Assert.InRange(j.Value, 0.0, 1.0);
                AssertFinite(j);
            }

            Assert.All(summary.ByArm.Append(summary.Overall), r =>
            {
                Assert.True(r.AmongAnswers is null or >= 0 and <= 1);
                Assert.True(r.AmongGuesses is null or >= 0 and <= 1);
            });
        }
    }

    [Fact]
    public void Swapping_arm_labels_leaves_James_unchanged_and_moves_Bang_with_the_arm()
    {
        var random = new Random(19960715);
        for (var t = 0; t < Tables; t++)
        {
            var table = RandomTable(random, out var counts);
            var k = table.ArmCount;
            var arms = table.Arms;

            // Relabel by a random permutation: arm a becomes arm perm[a] (both as true arm and as guess).
            var perm = Enumerable.Range(0, k).OrderBy(_ => random.Next()).ToArray();
            var answers = new List<(string, string?)>();
            for (var i = 0; i <= k; i++)
            {
                for (var j = 0; j < k; j++)
                {
                    for (var c = 0; c < counts[i][j]; c++)
                    {
                        answers.Add((arms[perm[j]], i == k ? null : arms[perm[i]]));
                    }
                }
            }

            var swapped = BlindingTable.FromAnswers(arms, answers);
            var before = JamesIndex.Compute(table);
            var after = JamesIndex.Compute(swapped);
            Assert.Equal(before.UndefinedReason, after.UndefinedReason);
            if (before.Estimate is { } b)
            {
                Assert.Equal(b.Value, after.Estimate!.Value, tolerance: 1e-12);
                // Compared as variances: where the exact variance is 0, √(rounding noise) is about 1e-9.
                Assert.Equal(b.StandardError * b.StandardError, after.Estimate.StandardError * after.Estimate.StandardError, tolerance: 1e-12);
            }

            for (var a = 0; a < k; a++)
            {
                Assert.Equal(
                    BangIndex.Compute(table, arms[a]).Estimate?.Value,
                    BangIndex.Compute(swapped, arms[perm[a]]).Estimate?.Value);
            }
        }
    }

    [Fact]
    public void James_variance_equals_the_multinomial_delta_method()
    {
        var random = new Random(1421);
        var checkedTables = 0;
        for (var t = 0; t < Tables; t++)
        {
            var table = RandomTable(random, out var counts);
            if (JamesIndex.Compute(table).Estimate is not { } e || table.TotalDontKnow == table.Total)
            {
                continue;
            }

            var (value, standardError) = DeltaMethod(counts, table.ArmCount);
            Assert.Equal(value, e.Value, tolerance: 1e-10);
            // Compared as variances: where the exact variance is 0, the square roots only show rounding noise.
            Assert.Equal(standardError * standardError, e.StandardError * e.StandardError, tolerance: 1e-8);
            checkedTables++;
        }

        Assert.True(checkedTables > Tables / 2, $"only {checkedTables} tables had a defined index");
    }

    [Theory]
    [InlineData(new[] { 48, 22, 4, 30, 330, 319 }, 2)]
    [InlineData(new[] { 82, 27, 25, 29, 170, 83 }, 2)]
    [InlineData(new[] { 6, 3, 2, 4, 2, 3 }, 2)]
    [InlineData(new[] { 5, 1, 0, 2, 1, 0, 1, 4, 6, 2, 4, 0 }, 3)]
    [InlineData(new[] { 5, 4, 3, 2, 6, 1, 1, 2, 7, 3, 3, 3 }, 3)]
    public void James_variance_equals_the_delta_method_on_fixed_tables(int[] flat, int k)
    {
        var counts = Enumerable.Range(0, k + 1).Select(i => flat.Skip(i * k).Take(k).ToArray()).ToArray();
        var arms = ArmCodes.Take(k).ToList();
        var james = JamesIndex.Compute(BlindingTable.FromCounts(arms, counts)).Estimate!;

        var (value, standardError) = DeltaMethod(counts, k);
        Assert.Equal(value, james.Value, tolerance: 1e-10);
        Assert.Equal(standardError, james.StandardError, tolerance: 1e-8);
    }

    [Fact]
    public void Summary_collects_the_flags_with_their_arms()
    {
        // Bang: A (6 − 1)/8 = 0.625 own arm; B (1 − 6)/8 = −0.625 opposite. James: both arms guessed A alike, so
        // wrong guesses are exactly as frequent as chance predicts: κ_d = 0, BI = (1 + 0.3)/2 = 0.65, no James flag.
        var table = BlindingTable.FromCounts(["A", "B"], [[6, 6], [1, 1], [1, 1]]);
        var summary = BlindingSummary.Of(table);

        Assert.Equal(
            [new BlindingFinding(BlindingFlag.PossibleUnblindingGuessedOwnArm, "A"), new BlindingFinding(BlindingFlag.PossibleUnblindingGuessedOpposite, "B")],
            summary.Findings);
        Assert.All(summary.Findings, f => Assert.False(string.IsNullOrWhiteSpace(f.Description)));

        var unblinded = BlindingSummary.Of(BlindingTable.FromCounts(["A", "B"], [[20, 1], [1, 20], [0, 0]]));
        Assert.Contains(new BlindingFinding(BlindingFlag.LackOfBlinding, null), unblinded.Findings);
    }

    [Fact]
    public void Every_flag_has_a_description()
    {
        Assert.All(Enum.GetValues<BlindingFlag>(), f => Assert.False(string.IsNullOrWhiteSpace(BlindingFlags.Describe(f))));
    }

    private static BlindingTable RandomTable(Random random, out int[][] counts)
    {
        var k = random.Next(2, 5);
        var zeroChance = random.NextDouble();
        counts = new int[k + 1][];
        for (var i = 0; i <= k; i++)
        {
            counts[i] = new int[k];
            for (var j = 0; j < k; j++)
            {
                counts[i][j] = random.NextDouble() < zeroChance ? 0 : random.Next(0, 13);
            }
        }

        var arms = ArmCodes.Take(k).ToList();
        return BlindingTable.FromCounts(arms, counts);
    }

    private static void AssertFinite(IndexEstimate e)
    {
        Assert.All(new[] { e.Value, e.StandardError, e.Lower, e.Upper, e.ClippedLower, e.ClippedUpper }, x => Assert.True(double.IsFinite(x)));
        Assert.True(e.StandardError >= 0);
        Assert.True(e.Lower <= e.Value && e.Value <= e.Upper);
    }

    /// <summary>James' BI from raw (possibly fractional) counts: P_dk + G·P_o/(2·P_e).</summary>
    private static double JamesFromCounts(double[][] n, int k)
    {
        var total = n.Sum(row => row.Sum());
        var dk = n[k].Sum() / total;
        var guessed = 1 - dk;
        double wrong = 0, expected = 0;
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++)
            {
                if (i != j)
                {
                    var rowI = n[i].Sum() / total;
                    var colJ = Enumerable.Range(0, k).Sum(s => n[s][j]) / total;
                    wrong += 0.5 * n[i][j] / total / guessed;
                    expected += 0.5 * rowI * colJ / (guessed * guessed);
                }
            }
        }

        return dk + (guessed * wrong / (2 * expected));
    }

    private static (double Value, double StandardError) DeltaMethod(int[][] counts, int k)
    {
        var n = counts.Select(row => row.Select(c => (double)c).ToArray()).ToArray();
        var total = n.Sum(row => row.Sum());
        var value = JamesFromCounts(n, k);
        var h = 1e-5 * total;
        double sumPg = 0, sumPg2 = 0;
        for (var i = 0; i <= k; i++)
        {
            for (var j = 0; j < k; j++)
            {
                if (counts[i][j] == 0)
                {
                    continue;
                }

                var plus = n.Select(row => row.ToArray()).ToArray();
                var minus = n.Select(row => row.ToArray()).ToArray();
                plus[i][j] += h;
                minus[i][j] -= h;
                // BI depends on the counts only through proportions (degree-0 homogeneous), so ∂BI/∂p = N·∂BI/∂n.
                var gradient = total * (JamesFromCounts(plus, k) - JamesFromCounts(minus, k)) / (2 * h);
                var p = n[i][j] / total;
                sumPg += p * gradient;
                sumPg2 += p * gradient * gradient;
            }
        }

        return (value, Math.Sqrt(Math.Max(0, (sumPg2 - (sumPg * sumPg)) / total)));
    }
}
