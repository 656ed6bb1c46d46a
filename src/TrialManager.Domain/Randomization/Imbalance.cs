namespace TrialManager.Domain.Randomization;

/// <summary>
/// How far a stratum's allocations are from the ratio. After n allocations, arm a (ratio r_a, ratio sum R) has
/// count c_a and expected share n·r_a/R; its excess is e_a(n) = c_a − n·r_a/R participants. The imbalance
/// I(n) = max over arms of |e_a(n)|, in participants. For 1:1, I(n) is half the difference between the arms'
/// counts; for 2:1 (A:B), I(n) = |c_B − n/3| = (2/3)·|c_B − c_A/2|.
/// <para>
/// With permuted blocks every complete block is exactly balanced, so I is 0 at each block boundary, and inside a
/// block of size s it is at most <see cref="BlockBound"/> = s · max_a p_a(1 − p_a) with p_a = r_a/R (reached when
/// all of an arm's places, or all of the other arms' places, come first). The total deviation
/// Σ_a |e_a(n)| is at most s/2 for any number of arms; for two arms it is 2·I(n), which for 1:1 is the difference
/// between the arms' counts: never more than half the largest block.
/// </para>
/// </summary>
public static class Imbalance
{
    /// <summary>I(n) for n = 0..N (index n), in participants.</summary>
    public static double[] Profile(IReadOnlyList<ArmRatio> arms, IReadOnlyList<string> allocations)
    {
        var scaled = ScaledProfile(arms, allocations);
        var ratioSum = (double)arms.Sum(a => a.Ratio);
        return [.. scaled.Select(v => v / ratioSum)];
    }

    /// <summary>The largest I(n) over every prefix, in participants.</summary>
    public static double Worst(IReadOnlyList<ArmRatio> arms, IReadOnlyList<string> allocations) =>
        ScaledProfile(arms, allocations).Max() / (double)arms.Sum(a => a.Ratio);

    /// <summary>The largest I(n) permuted blocks of <paramref name="blockSize"/> allow: s · max_a p_a(1 − p_a).</summary>
    public static double BlockBound(IReadOnlyList<ArmRatio> arms, int blockSize)
    {
        ArgumentNullException.ThrowIfNull(arms);
        var ratioSum = arms.Sum(a => a.Ratio);
        var blocks = blockSize / ratioSum;
        return arms.Max(a => blocks * a.Ratio * (ratioSum - a.Ratio)) / (double)ratioSum;
    }

    /// <summary>R·I(n) for n = 0..N, exact integers (R = ratio sum): max_a |R·c_a − n·r_a|.</summary>
    public static int[] ScaledProfile(IReadOnlyList<ArmRatio> arms, IReadOnlyList<string> allocations)
    {
        ArgumentNullException.ThrowIfNull(arms);
        ArgumentNullException.ThrowIfNull(allocations);
        var ratioSum = arms.Sum(a => a.Ratio);
        var counts = new int[arms.Count];
        var profile = new int[allocations.Count + 1];
        for (var n = 1; n <= allocations.Count; n++)
        {
            var index = IndexOf(arms, allocations[n - 1]);
            counts[index]++;
            var worst = 0;
            for (var a = 0; a < arms.Count; a++)
            {
                worst = Math.Max(worst, Math.Abs((ratioSum * counts[a]) - (n * arms[a].Ratio)));
            }

            profile[n] = worst;
        }

        return profile;
    }

    internal static int IndexOf(IReadOnlyList<ArmRatio> arms, string armCode)
    {
        for (var a = 0; a < arms.Count; a++)
        {
            if (arms[a].Code == armCode)
            {
                return a;
            }
        }

        throw new ArgumentException($"Arm {armCode} is not in the design.", nameof(armCode));
    }
}
