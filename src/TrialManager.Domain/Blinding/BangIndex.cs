namespace TrialManager.Domain.Blinding;

/// <summary>
/// Bang's blinding index for one arm (Bang, Ni &amp; Davis, Controlled Clinical Trials 2004;25:143–156), 2×3 form
/// generalised to any number of arms by counting a guess of any other arm as incorrect:
/// <code>
/// BI_j = (correct_j − incorrect_j) / n_j,   n_j = correct_j + incorrect_j + don't know_j
/// p_c = correct_j / n_j,  p_i = incorrect_j / n_j
/// Var(BI_j) = [p_c(1 − p_c) + p_i(1 − p_i) + 2·p_c·p_i] / n_j   (= [p_c + p_i − BI_j²] / n_j)
/// </code>
/// Range −1..1: 0 random guessing, 1 everyone guessed their arm, −1 everyone guessed another arm.
/// <see cref="Estimate"/> is null when the arm has no answers (n_j = 0): the index is undefined, not 0.
/// </summary>
public sealed record BangIndex(string Arm, int N, int Correct, int Incorrect, int DontKnow, IndexEstimate? Estimate)
{
    public BlindingFlag? Flag => BlindingFlags.ForBang(Estimate?.Value);

    public static BangIndex Compute(BlindingTable table, string arm)
    {
        ArgumentNullException.ThrowIfNull(table);
        var n = table.N(arm);
        var correct = table.Correct(arm);
        var incorrect = table.Incorrect(arm);
        if (n == 0)
        {
            return new BangIndex(arm, 0, 0, 0, 0, null);
        }

        var pc = (double)correct / n;
        var pi = (double)incorrect / n;
        var value = (double)(correct - incorrect) / n;
        var variance = ((pc * (1 - pc)) + (pi * (1 - pi)) + (2 * pc * pi)) / n;
        return new BangIndex(arm, n, correct, incorrect, table.DontKnow(arm), IndexEstimate.Wald(value, variance, -1, 1));
    }

    /// <summary>One index per arm, in table order.</summary>
    public static IReadOnlyList<BangIndex> ComputeAll(BlindingTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return [.. table.Arms.Select(arm => Compute(table, arm))];
    }
}
