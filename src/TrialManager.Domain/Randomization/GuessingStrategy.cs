using System.Globalization;
using System.Numerics;

namespace TrialManager.Domain.Randomization;

/// <summary>
/// What an observer who sees every past allocation in a stratum can guess about the next one, measured over
/// generated lists. Nothing here touches a real list: callers pass designs and simulation seeds.
/// <para>
/// Convergence strategy ("guess the arm that is behind"): before allocation n + 1, with counts c_a so far, guess
/// the arm with the largest (n + 1)·r_a − R·c_a, i.e. the arm furthest below its share once one more participant
/// is in. For 1:1 that is the arm with fewer participants. Ties are broken at random; instead of drawing, the
/// measurement credits the expected value of that draw (1/k for each of k tied arms), which is exact and has
/// less noise. With the ratio known and nothing seen, the best guess is right with probability max_a r_a/R
/// (<see cref="NoInformationRate"/>).
/// </para>
/// <para>
/// Certain allocations: an observer who also knows the allowed block sizes can sometimes name the next arm with
/// certainty: when every way of cutting the past into whole blocks plus a started block allows only one arm
/// next. With one fixed size the cuts are known, and every block ends with at least one certain allocation;
/// mixing sizes hides where blocks end.
/// </para>
/// </summary>
public static class GuessingStrategy
{
    public const string StreamLabel = "trialmanager/guessing/v1";

    /// <summary>The arms the convergence strategy guesses after <paramref name="past"/> (several when tied).</summary>
    public static IReadOnlyList<string> ConvergenceGuess(IReadOnlyList<ArmRatio> arms, IReadOnlyList<string> past)
    {
        ArgumentNullException.ThrowIfNull(arms);
        ArgumentNullException.ThrowIfNull(past);
        var counts = new int[arms.Count];
        foreach (var arm in past)
        {
            counts[Imbalance.IndexOf(arms, arm)]++;
        }

        var tied = Tied(arms, counts, past.Count);
        return [.. Enumerable.Range(0, arms.Count).Where(a => (tied & (1UL << a)) != 0).Select(a => arms[a].Code)];
    }

    /// <summary>
    /// Expected number of correct convergence guesses over one stratum's allocations (a tie among k arms earns
    /// 1/k if the true arm is among them).
    /// </summary>
    public static double ConvergenceCorrectGuesses(IReadOnlyList<ArmRatio> arms, IReadOnlyList<string> allocations)
    {
        ArgumentNullException.ThrowIfNull(arms);
        ArgumentNullException.ThrowIfNull(allocations);
        RequireArmCount(arms);
        var counts = new int[arms.Count];
        var credit = 0.0;
        for (var n = 0; n < allocations.Count; n++)
        {
            var actual = Imbalance.IndexOf(arms, allocations[n]);
            var tied = Tied(arms, counts, n);
            if ((tied & (1UL << actual)) != 0)
            {
                credit += 1.0 / BitOperations.PopCount(tied);
            }

            counts[actual]++;
        }

        return credit;
    }

    /// <summary>How many of the allocations an observer who knows the design's block sizes could name with certainty.</summary>
    public static int CertainAllocations(RandomizationDesign design, IReadOnlyList<string> allocations)
    {
        ArgumentNullException.ThrowIfNull(design);
        ArgumentNullException.ThrowIfNull(allocations);
        return new BlockAutomaton(design).CountCertain(allocations);
    }

    /// <summary>Best rate without seeing anything: always guess the largest arm, right with probability max r_a/R.</summary>
    public static double NoInformationRate(IReadOnlyList<ArmRatio> arms)
    {
        ArgumentNullException.ThrowIfNull(arms);
        return arms.Max(a => a.Ratio) / (double)arms.Sum(a => a.Ratio);
    }

    /// <summary>
    /// The exact expected convergence correct-guess rate for the design. Every block starts with the stratum exactly
    /// balanced, so the guess depends only on the allocations inside the current block; the expected credit of the
    /// first k places of a block of size s, G(s, k), follows by walking all block compositions with their
    /// probabilities, and over a stratum of N slots, starting at a block boundary,
    /// F(N) = Σ_s P(s)·(G(s, min(s, N)) + F(N − s) if N &gt; s). The rate is F(N)/N. For uncut lists this is the
    /// slot-weighted average of the fixed-size rates g(s) = G(s, s)/s with weights s·P(s)/E[s].
    /// </summary>
    public static double ExpectedConvergenceRate(RandomizationDesign design)
    {
        ArgumentNullException.ThrowIfNull(design);
        RequireArmCount(design.Arms);
        var cumulative = design.BlockSizes.ToDictionary(s => s, s => BlockCredit(design, s));
        var p = 1.0 / design.BlockSizes.Count;
        var f = new double[design.SlotsPerStratum + 1];
        for (var n = 1; n <= design.SlotsPerStratum; n++)
        {
            foreach (var s in design.BlockSizes)
            {
                f[n] += p * (cumulative[s][Math.Min(s, n)] + (n > s ? f[n - s] : 0));
            }
        }

        return f[design.SlotsPerStratum] / design.SlotsPerStratum;
    }

    /// <summary>Measures the strategy over <paramref name="lists"/> lists generated for the design from seeds derived from <paramref name="seed"/>.</summary>
    public static GuessingResult Measure(RandomizationDesign design, int lists, ReadOnlySpan<byte> seed)
    {
        ArgumentNullException.ThrowIfNull(design);
        ArgumentOutOfRangeException.ThrowIfLessThan(lists, 1);
        return Measure(design, DeriveLists(design, lists, seed));
    }

    /// <summary>The same measurement for the design with a single fixed block size (same arms, strata and slots).</summary>
    public static GuessingResult MeasureFixedBlocks(RandomizationDesign design, int blockSize, int lists, ReadOnlySpan<byte> seed)
    {
        ArgumentNullException.ThrowIfNull(design);
        return Measure(design.WithBlockSizes([blockSize]), lists, seed);
    }

    /// <summary>Measures the strategy over lists already generated for the design; each stratum list is one sample.</summary>
    public static GuessingResult Measure(RandomizationDesign design, IEnumerable<RandomizationList> lists)
    {
        ArgumentNullException.ThrowIfNull(design);
        ArgumentNullException.ThrowIfNull(lists);
        var automaton = new BlockAutomaton(design);
        var rates = new List<double>();
        var listCount = 0;
        long guesses = 0;
        long certain = 0;
        var credit = 0.0;
        foreach (var list in lists)
        {
            listCount++;
            foreach (var stratum in list.Strata)
            {
                var arms = stratum.Slots.Select(s => s.ArmCode).ToList();
                if (arms.Count == 0)
                {
                    continue;
                }

                var correct = ConvergenceCorrectGuesses(design.Arms, arms);
                credit += correct;
                guesses += arms.Count;
                certain += automaton.CountCertain(arms);
                rates.Add(correct / arms.Count);
            }
        }

        if (guesses == 0)
        {
            throw new ArgumentException("There is nothing to measure.", nameof(lists));
        }

        var mean = rates.Average();
        var variance = rates.Count > 1 ? rates.Sum(r => (r - mean) * (r - mean)) / (rates.Count - 1) : 0;
        return new GuessingResult(
            design.BlockSizes,
            listCount,
            rates.Count,
            guesses,
            credit / guesses,
            Math.Sqrt(variance / rates.Count),
            certain / (double)guesses,
            ExpectedConvergenceRate(design),
            NoInformationRate(design.Arms));
    }

    internal static IEnumerable<RandomizationList> DeriveLists(RandomizationDesign design, int count, ReadOnlySpan<byte> seed)
    {
        var stream = new SeededStream(seed, StreamLabel);
        var lists = new List<RandomizationList>(count);
        Span<byte> listSeed = stackalloc byte[SeededStream.SeedLength];
        for (var i = 0; i < count; i++)
        {
            stream.NextBytes(listSeed);
            lists.Add(ListGenerator.Generate(design, listSeed));
        }

        return lists;
    }

    /// <summary>Bit mask of the arms with the largest (n + 1)·r_a − R·c_a.</summary>
    private static ulong Tied(IReadOnlyList<ArmRatio> arms, int[] counts, int n)
    {
        var ratioSum = 0;
        foreach (var arm in arms)
        {
            ratioSum += arm.Ratio;
        }

        var best = long.MinValue;
        var mask = 0UL;
        for (var a = 0; a < arms.Count; a++)
        {
            var score = ((long)(n + 1) * arms[a].Ratio) - ((long)ratioSum * counts[a]);
            if (score > best)
            {
                best = score;
                mask = 1UL << a;
            }
            else if (score == best)
            {
                mask |= 1UL << a;
            }
        }

        return mask;
    }

    /// <summary>G(s, k) for k = 0..s: expected convergence credit over the first k places of a block of size s.</summary>
    private static double[] BlockCredit(RandomizationDesign design, int size)
    {
        var arms = design.Arms;
        var quota = arms.Select(a => design.CountInBlock(a, size)).ToArray();
        var cumulative = new double[size + 1];
        var layer = new Dictionary<string, (int[] Counts, double Probability)> { [""] = (new int[arms.Count], 1.0) };
        for (var k = 0; k < size; k++)
        {
            var next = new Dictionary<string, (int[] Counts, double Probability)>(StringComparer.Ordinal);
            var credit = 0.0;
            foreach (var (counts, probability) in layer.Values)
            {
                var tied = Tied(arms, counts, k);
                var tiedCount = BitOperations.PopCount(tied);
                for (var a = 0; a < arms.Count; a++)
                {
                    var remaining = quota[a] - counts[a];
                    if (remaining == 0)
                    {
                        continue;
                    }

                    var p = probability * remaining / (size - k);
                    if ((tied & (1UL << a)) != 0)
                    {
                        credit += p / tiedCount;
                    }

                    var after = (int[])counts.Clone();
                    after[a]++;
                    var key = string.Join(',', after);
                    next[key] = next.TryGetValue(key, out var existing) ? (after, existing.Probability + p) : (after, p);
                }
            }

            cumulative[k + 1] = cumulative[k] + credit;
            layer = next;
        }

        return cumulative;
    }

    private static void RequireArmCount(IReadOnlyList<ArmRatio> arms)
    {
        if (arms.Count > 64)
        {
            throw new ArgumentException("At most 64 arms are supported.", nameof(arms));
        }
    }

    /// <summary>
    /// The block structure as a non-deterministic automaton: state 0 is "at a block boundary"; other states are
    /// (block size, counts so far in the block). The observer's knowledge is the set of states the past allows.
    /// </summary>
    private sealed class BlockAutomaton
    {
        private readonly RandomizationDesign _design;
        private readonly int[][] _quota;
        private readonly List<(int SizeIndex, int[] Counts)> _states = [(-1, [])];
        private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
        private readonly List<int[]?[]> _next = [];
        private readonly List<ulong> _allowed = [];

        public BlockAutomaton(RandomizationDesign design)
        {
            RequireArmCount(design.Arms);
            _design = design;
            _quota = [.. design.BlockSizes.Select(s => design.Arms.Select(a => design.CountInBlock(a, s)).ToArray())];
            _next.Add(new int[]?[design.Arms.Count]);
            _allowed.Add(design.Arms.Count == 64 ? ulong.MaxValue : (1UL << design.Arms.Count) - 1);
        }

        public int CountCertain(IReadOnlyList<string> allocations)
        {
            var belief = new HashSet<int> { 0 };
            var following = new HashSet<int>();
            var certain = 0;
            foreach (var allocation in allocations)
            {
                var arm = Imbalance.IndexOf(_design.Arms, allocation);
                var possible = 0UL;
                foreach (var state in belief)
                {
                    possible |= _allowed[state];
                }

                if (BitOperations.PopCount(possible) == 1)
                {
                    certain++;
                }

                following.Clear();
                foreach (var state in belief)
                {
                    foreach (var successor in Next(state, arm))
                    {
                        following.Add(successor);
                    }
                }

                if (following.Count == 0)
                {
                    throw new ArgumentException("The allocations cannot come from this design's blocks.", nameof(allocations));
                }

                (belief, following) = (following, belief);
            }

            return certain;
        }

        private int[] Next(int state, int arm)
        {
            if (_next[state][arm] is { } known)
            {
                return known;
            }

            var successors = new List<int>();
            if (state == 0)
            {
                for (var size = 0; size < _quota.Length; size++)
                {
                    successors.Add(Step(size, new int[_design.Arms.Count], arm));
                }
            }
            else
            {
                var (size, counts) = _states[state];
                if (counts[arm] < _quota[size][arm])
                {
                    successors.Add(Step(size, counts, arm));
                }
            }

            var result = successors.Distinct().ToArray();
            _next[state][arm] = result;
            return result;
        }

        private int Step(int size, int[] counts, int arm)
        {
            var after = (int[])counts.Clone();
            after[arm]++;
            if (after.AsSpan().SequenceEqual(_quota[size]))
            {
                return 0;
            }

            var key = string.Concat(size.ToString(CultureInfo.InvariantCulture), ":", string.Join(',', after));
            if (_ids.TryGetValue(key, out var id))
            {
                return id;
            }

            id = _states.Count;
            _states.Add((size, after));
            _ids[key] = id;
            _next.Add(new int[]?[_design.Arms.Count]);
            var allowed = 0UL;
            for (var a = 0; a < after.Length; a++)
            {
                if (after[a] < _quota[size][a])
                {
                    allowed |= 1UL << a;
                }
            }

            _allowed.Add(allowed);
            return id;
        }
    }
}

/// <summary>
/// A guessing measurement: block sizes used, lists and stratum sequences measured, guesses made, the measured
/// convergence correct-guess rate and its standard error (over stratum sequences), the share of allocations that
/// could be named with certainty, the exact expected convergence rate for the design, and the no-information rate.
/// </summary>
public sealed record GuessingResult(
    IReadOnlyList<int> BlockSizes,
    int Lists,
    int Sequences,
    long Guesses,
    double CorrectRate,
    double StandardError,
    double CertainShare,
    double ExpectedRate,
    double NoInformationRate);
