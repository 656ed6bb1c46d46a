using TrialManager.Domain.Blinding;

namespace TrialManager.Domain.Tests.Blinding;

/// <summary>
/// Bang's index, BI_j = (correct_j − incorrect_j) / n_j, Var = [p_c(1 − p_c) + p_i(1 − p_i) + 2·p_c·p_i] / n_j,
/// 95% CI = BI ± 1.96·SE. Tables are written rows = guessed arm then "don't know", columns = true arm.
/// </summary>
public class BangIndexTests
{
    private const int Precision = 12;

    [Fact]
    public void All_correct_is_complete_unblinding()
    {
        var table = BlindingTable.FromCounts(["A", "B"], [[10, 0], [0, 7], [0, 0]]);

        foreach (var bang in BangIndex.ComputeAll(table))
        {
            // p_c = 1, p_i = 0: BI = 1, Var = [1·0 + 0 + 0] / n = 0.
            Assert.Equal(1.0, bang.Estimate!.Value);
            Assert.Equal(0.0, bang.Estimate.StandardError);
            Assert.Equal((1.0, 1.0), (bang.Estimate.Lower, bang.Estimate.Upper));
            Assert.Equal(BlindingFlag.PossibleUnblindingGuessedOwnArm, bang.Flag);
        }
    }

    [Fact]
    public void All_wrong_is_opposite_guessing()
    {
        var table = BlindingTable.FromCounts(["A", "B"], [[0, 7], [10, 0], [0, 0]]);

        foreach (var bang in BangIndex.ComputeAll(table))
        {
            // p_c = 0, p_i = 1: BI = −1, Var = 0.
            Assert.Equal(-1.0, bang.Estimate!.Value);
            Assert.Equal(0.0, bang.Estimate.StandardError);
            Assert.Equal(BlindingFlag.PossibleUnblindingGuessedOpposite, bang.Flag);
        }
    }

    [Fact]
    public void All_dont_know_is_zero()
    {
        var table = BlindingTable.FromCounts(["A", "B"], [[0, 0], [0, 0], [5, 5]]);

        foreach (var bang in BangIndex.ComputeAll(table))
        {
            // p_c = p_i = 0: BI = 0 / 5 = 0, Var = 0 (a degenerate interval [0, 0]).
            Assert.Equal(0.0, bang.Estimate!.Value);
            Assert.Equal(0.0, bang.Estimate.StandardError);
            Assert.Equal(5, bang.DontKnow);
            Assert.Null(bang.Flag);
        }
    }

    [Fact]
    public void An_empty_arm_is_undefined_not_zero()
    {
        var table = BlindingTable.FromCounts(["A", "B"], [[3, 0], [1, 0], [1, 0]]);

        var b = BangIndex.Compute(table, "B");
        Assert.Equal(0, b.N);
        Assert.Null(b.Estimate);
        Assert.Null(b.Flag);

        // The other arm is still computed: (3 − 1) / 5 = 0.4.
        Assert.Equal(0.4, BangIndex.Compute(table, "A").Estimate!.Value, Precision);
    }

    [Fact]
    public void Nobody_answered_gives_undefined_indices()
    {
        var table = BlindingTable.FromAnswers(["A", "B"], []);

        Assert.All(BangIndex.ComputeAll(table), b => Assert.Null(b.Estimate));
    }

    /// <summary>
    /// Worked by hand. Columns ACT, PBO; rows guessed ACT, guessed PBO, don't know:
    /// <code>
    ///              ACT  PBO
    /// guessed ACT    6    3
    /// guessed PBO    2    4
    /// don't know     2    3
    /// n             10   10
    /// </code>
    /// ACT: p_c = 6/10 = 0.6, p_i = 2/10 = 0.2, BI = (6 − 2)/10 = 0.4.
    ///      Var = [0.6·0.4 + 0.2·0.8 + 2·0.6·0.2] / 10 = [0.24 + 0.16 + 0.24] / 10 = 0.064;
    ///      SE = √0.064 = 0.252982; 1.96·SE = 0.495845; CI = (−0.095845, 0.895845).
    /// PBO: p_c = 4/10 = 0.4, p_i = 3/10 = 0.3, BI = (4 − 3)/10 = 0.1.
    ///      Var = [0.4·0.6 + 0.3·0.7 + 2·0.4·0.3] / 10 = [0.24 + 0.21 + 0.24] / 10 = 0.069;
    ///      SE = √0.069 = 0.262679; 1.96·SE = 0.514850; CI = (−0.414850, 0.614850).
    /// </summary>
    [Fact]
    public void Worked_example_by_hand()
    {
        var table = BlindingTable.FromCounts(["ACT", "PBO"], [[6, 3], [2, 4], [2, 3]]);

        var act = BangIndex.Compute(table, "ACT");
        Assert.Equal((10, 6, 2, 2), (act.N, act.Correct, act.Incorrect, act.DontKnow));
        Assert.Equal(0.4, act.Estimate!.Value, Precision);
        Assert.Equal(Math.Sqrt(0.064), act.Estimate.StandardError, Precision);
        Assert.Equal(0.252982, act.Estimate.StandardError, 6);
        Assert.Equal(-0.095845, act.Estimate.Lower, 6);
        Assert.Equal(0.895845, act.Estimate.Upper, 6);
        Assert.Equal(BlindingFlag.PossibleUnblindingGuessedOwnArm, act.Flag);

        var pbo = BangIndex.Compute(table, "PBO");
        Assert.Equal(0.1, pbo.Estimate!.Value, Precision);
        Assert.Equal(Math.Sqrt(0.069), pbo.Estimate.StandardError, Precision);
        Assert.Equal(-0.414850, pbo.Estimate.Lower, 6);
        Assert.Equal(0.614850, pbo.Estimate.Upper, 6);
        Assert.Null(pbo.Flag);

        // Both limits are inside −1..1, so clipping changes nothing here.
        Assert.Equal((act.Estimate.Lower, act.Estimate.Upper), (act.Estimate.ClippedLower, act.Estimate.ClippedUpper));
    }

    /// <summary>
    /// Three arms, by hand; "incorrect" is a guess of either other arm:
    /// <code>
    ///              A    B    C
    /// guessed A    5    1    0
    /// guessed B    2    1    0
    /// guessed C    1    4    6
    /// don't know   2    4    0
    /// n           10   10    6
    /// </code>
    /// A: correct 5, incorrect 2 + 1 = 3; BI = (5 − 3)/10 = 0.2 (not flagged: the threshold is strictly above 0.2);
    ///    p_c = 0.5, p_i = 0.3; Var = [0.25 + 0.21 + 0.30]/10 = 0.076; SE = 0.275681; CI = 0.2 ± 0.540335.
    /// B: correct 1, incorrect 1 + 4 = 5; BI = (1 − 5)/10 = −0.4 (flagged: opposite);
    ///    p_c = 0.1, p_i = 0.5; Var = [0.09 + 0.25 + 0.10]/10 = 0.044; SE = 0.209762; CI = −0.4 ± 0.411133.
    /// C: correct 6, incorrect 0; BI = 1, Var = 0 (flagged: own arm).
    /// </summary>
    [Fact]
    public void Three_arm_table_by_hand()
    {
        var table = BlindingTable.FromCounts(["A", "B", "C"], [[5, 1, 0], [2, 1, 0], [1, 4, 6], [2, 4, 0]]);
        var all = BangIndex.ComputeAll(table);

        Assert.Equal(["A", "B", "C"], all.Select(b => b.Arm));

        Assert.Equal(0.2, all[0].Estimate!.Value, Precision);
        Assert.Equal(Math.Sqrt(0.076), all[0].Estimate!.StandardError, Precision);
        Assert.Equal(0.2 - 0.540335, all[0].Estimate!.Lower, 6);
        Assert.Equal(0.2 + 0.540335, all[0].Estimate!.Upper, 6);
        Assert.Null(all[0].Flag);

        Assert.Equal(-0.4, all[1].Estimate!.Value, Precision);
        Assert.Equal(Math.Sqrt(0.044), all[1].Estimate!.StandardError, Precision);
        Assert.Equal(-0.4 - 0.411133, all[1].Estimate!.Lower, 6);
        Assert.Equal(-0.4 + 0.411133, all[1].Estimate!.Upper, 6);
        Assert.Equal(BlindingFlag.PossibleUnblindingGuessedOpposite, all[1].Flag);

        Assert.Equal(1.0, all[2].Estimate!.Value);
        Assert.Equal(0.0, all[2].Estimate!.StandardError);
        Assert.Equal(BlindingFlag.PossibleUnblindingGuessedOwnArm, all[2].Flag);
    }

    /// <summary>
    /// Houweling et al., Clinical Trials 2014;11:547–552, table 2 (investigators), the counts used as an example in
    /// the R package BI 1.2.0 (Schwartz &amp; Mercaldo, CRAN, man/BI.Rd). Its output, reproduced to 3 decimals by the
    /// test suite of BlindingIndex.jl (JuliaHealth), is treatment 0.115 (SE 0.018, 0.080 to 0.150) and placebo 0.022
    /// (SE 0.019, −0.016 to 0.060). By hand: treatment (48 − 4)/382 = 0.11518; placebo (30 − 22)/371 = 0.02156.
    /// </summary>
    [Fact]
    public void Matches_the_published_package_output_for_Houweling_2014()
    {
        var table = BlindingTable.FromCounts(["Treatment", "Placebo"], [[48, 22], [4, 30], [330, 319]]);
        var treatment = BangIndex.Compute(table, "Treatment").Estimate!;
        var placebo = BangIndex.Compute(table, "Placebo").Estimate!;

        Assert.Equal(44.0 / 382, treatment.Value, Precision);
        Assert.Equal((0.115, 0.018, 0.080, 0.150), Round3(treatment));
        Assert.Equal(8.0 / 371, placebo.Value, Precision);
        Assert.Equal((0.022, 0.019, -0.016, 0.060), Round3(placebo));
    }

    [Fact]
    public void Wald_limits_are_reported_unclipped_and_clipped_separately()
    {
        // A: 9 correct, 1 don't know out of 10: BI = 0.9, p_c = 0.9, p_i = 0; Var = 0.09/10 = 0.009;
        // SE = 0.094868; upper = 0.9 + 0.185942 = 1.085942, beyond the range; clipped to 1.
        var table = BlindingTable.FromCounts(["A", "B"], [[9, 0], [0, 0], [1, 0]]);
        var a = BangIndex.Compute(table, "A").Estimate!;

        Assert.Equal(1.085942, a.Upper, 6);
        Assert.Equal(1.0, a.ClippedUpper);
        Assert.Equal(a.Lower, a.ClippedLower);
        Assert.True(a.Covers(1.0));
    }

    private static (double, double, double, double) Round3(IndexEstimate e) =>
        (Math.Round(e.Value, 3), Math.Round(e.StandardError, 3), Math.Round(e.Lower, 3), Math.Round(e.Upper, 3));
}
