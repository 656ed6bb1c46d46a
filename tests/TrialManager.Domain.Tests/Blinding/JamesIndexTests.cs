using TrialManager.Domain.Blinding;

namespace TrialManager.Domain.Tests.Blinding;

/// <summary>
/// James' index: BI = (1 + P_dk + (1 − P_dk)·κ_d) / 2 with κ_d = (P_o − P_e) / P_e among those who guessed
/// (weights 0 correct, 0.5 incorrect), and Var(BI) = (V1 + V2) / N as written in <see cref="JamesIndex"/>.
/// Tables are written rows = guessed arm then "don't know", columns = true arm.
/// </summary>
public class JamesIndexTests
{
    private const int Precision = 12;

    [Fact]
    public void All_correct_is_complete_unblinding()
    {
        // P_o = 0, so κ_d = (0 − P_e)/P_e = −1 and BI = (1 + 0 + 1·(−1))/2 = 0. With 1 + κ_d = 0 and every
        // off-diagonal P_ij = 0, V1 = 0 and V2 = 0: SE = 0, CI [0, 0], upper < 0.5 so lack of blinding is flagged.
        var james = JamesIndex.Compute(BlindingTable.FromCounts(["A", "B"], [[10, 0], [0, 7], [0, 0]]));

        Assert.Equal(-1.0, james.KappaD!.Value, Precision);
        Assert.Equal(0.0, james.Estimate!.Value, Precision);
        Assert.Equal(0.0, james.Estimate.StandardError, Precision);
        Assert.Equal(BlindingFlag.LackOfBlinding, james.Flag);
    }

    [Fact]
    public void All_wrong_with_balanced_guesses_is_one()
    {
        // r = c = (0.5, 0.5); P_o = 0.5; P_e = 0.5·(0.5·0.5 + 0.5·0.5) = 0.25; κ_d = 1; BI = (1 + 0 + 1)/2 = 1.
        // Variance: D = 0.25; off-diagonal cells m = 0.5·0.5 + 0.5·0.5 = 0.5, G·w − 2·m = 0.5 − 1 = −0.5;
        // V1 = 2·0.5·0.25 / (4·0.0625) = 1; V2 = 0 − 1·2·(0 + 2/4) = −1; Var = 0.
        var james = JamesIndex.Compute(BlindingTable.FromCounts(["A", "B"], [[0, 5], [5, 0], [0, 0]]));

        Assert.Equal(1.0, james.KappaD!.Value, Precision);
        Assert.Equal(1.0, james.Estimate!.Value, Precision);
        Assert.Equal(0.0, james.Estimate.StandardError, 6);
        Assert.Null(james.Flag);
    }

    [Fact]
    public void All_wrong_with_unbalanced_guesses_is_below_one()
    {
        // 30 in A all guessed B, 10 in B all guessed A: r = (0.25, 0.75), c = (0.75, 0.25); P_o = 0.5;
        // P_e = 0.5·(0.25·0.25 + 0.75·0.75) = 0.3125; κ_d = 0.1875/0.3125 = 0.6; BI = (1 + 0.6)/2 = 0.8.
        var james = JamesIndex.Compute(BlindingTable.FromCounts(["A", "B"], [[0, 10], [30, 0], [0, 0]]));

        Assert.Equal(0.6, james.KappaD!.Value, Precision);
        Assert.Equal(0.8, james.Estimate!.Value, Precision);
    }

    [Theory]
    [InlineData(5, 5)]
    [InlineData(5, 0)]
    public void All_dont_know_is_complete_blinding(int dontKnowA, int dontKnowB)
    {
        var james = JamesIndex.Compute(BlindingTable.FromCounts(["A", "B"], [[0, 0], [0, 0], [dontKnowA, dontKnowB]]));

        Assert.Null(james.UndefinedReason);
        Assert.Equal(1.0, james.Estimate!.Value);
        Assert.Equal(0.0, james.Estimate.StandardError);
        Assert.Equal((1.0, 1.0), (james.Estimate.Lower, james.Estimate.Upper));
        Assert.Null(james.KappaD);
        Assert.Null(james.Flag);
    }

    [Fact]
    public void Nobody_answered_is_undefined()
    {
        var james = JamesIndex.Compute(BlindingTable.FromAnswers(["A", "B"], []));

        Assert.Equal(0, james.N);
        Assert.Null(james.Estimate);
        Assert.Equal(JamesUndefinedReason.NoAnswers, james.UndefinedReason);
        Assert.Null(james.Flag);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public void Guesses_from_one_arm_only_are_undefined(int dontKnowInB)
    {
        // Only A's respondents named an arm: κ_d has nothing to correct against (P_o = P_e whatever they guess).
        var james = JamesIndex.Compute(BlindingTable.FromCounts(["A", "B"], [[3, 0], [1, 0], [1, dontKnowInB]]));

        Assert.Null(james.Estimate);
        Assert.Equal(JamesUndefinedReason.GuessesFromOneArmOnly, james.UndefinedReason);
        Assert.Null(james.Flag);
    }

    /// <summary>
    /// Worked by hand (exact fractions in brackets). N = 20:
    /// <code>
    ///              ACT  PBO          P_ij:  ACT   PBO
    /// guessed ACT    6    3                0.30  0.15    r_ACT = 0.45
    /// guessed PBO    2    4                0.10  0.20    r_PBO = 0.30
    /// don't know     2    3                0.10  0.15    P_dk = 0.25, G = 0.75
    ///                        c (guessers): 0.40  0.35
    /// </code>
    /// P_o = 0.5·(0.15 + 0.10)/0.75 = 0.125/0.75 = 0.166667 [1/6]
    /// D = 0.5·(r_ACT·c_PBO + r_PBO·c_ACT) = 0.5·(0.1575 + 0.12) = 0.13875; P_e = D/G² = 0.13875/0.5625 = 0.246667 [37/150]
    /// κ_d = (1/6 − 37/150)/(37/150) = (25 − 37)/37 = −0.324324 [−12/37]
    /// BI = (1 + 0.25 + 0.75·(−12/37))/2 = (1.25 − 0.243243)/2 = 0.503378 [149/296]
    /// Variance, with 1 + κ_d = 25/37 = 0.675676:
    ///   m_ij = Σ_s w_sj·r_s + Σ_s w_is·c_s; column parts: ACT 0.5·0.30 = 0.15, PBO 0.5·0.45 = 0.225;
    ///   row parts: guessed ACT 0.5·0.35 = 0.175, guessed PBO 0.5·0.40 = 0.20. So m = 0.325 (ACT→ACT),
    ///   0.40 (guessed ACT, true PBO), 0.35 (guessed PBO, true ACT), 0.425 (PBO→PBO).
    ///   P_ij·G²·(G·w_ij − (1 + κ_d)·m_ij)²:
    ///     0.30·0.5625·(0 − 0.219595)²     = 0.0081374
    ///     0.15·0.5625·(0.375 − 0.270270)² = 0.0009254
    ///     0.10·0.5625·(0.375 − 0.236486)² = 0.0010792
    ///     0.20·0.5625·(0 − 0.287162)²     = 0.0092770      Σ = 0.0194191 [2943/151552]
    ///   V1 = 0.0194191/(4·0.13875²) = 0.0194191/0.0770063 = 0.252175
    ///   V2 = 0.25·0.75 − 0.75·0.675676·(0.25 + 0.75·0.675676/4) = 0.1875 − 0.506757·0.376689 = −0.003390
    ///   Var = (0.252175 − 0.003390)/20 = 0.0124393 [806511/64835840]; SE = 0.111532
    /// CI = 0.503378 ± 1.96·0.111532 = 0.503378 ± 0.218602 = (0.284777, 0.721980).
    /// </summary>
    [Fact]
    public void Worked_example_by_hand()
    {
        var james = JamesIndex.Compute(BlindingTable.FromCounts(["ACT", "PBO"], [[6, 3], [2, 4], [2, 3]]));

        Assert.Equal(20, james.N);
        Assert.Equal(5, james.DontKnow);
        Assert.Equal(-12.0 / 37, james.KappaD!.Value, Precision);
        Assert.Equal(149.0 / 296, james.Estimate!.Value, Precision);
        Assert.Equal(Math.Sqrt(806511.0 / 64835840), james.Estimate.StandardError, Precision);
        Assert.Equal(0.111532, james.Estimate.StandardError, 6);
        Assert.Equal(0.284777, james.Estimate.Lower, 6);
        Assert.Equal(0.721980, james.Estimate.Upper, 6);
        Assert.Null(james.Flag);
    }

    /// <summary>
    /// Houweling et al., Clinical Trials 2014;11:547–552, table 2 (investigators), the counts used as an example in
    /// the R package BI 1.2.0 (Schwartz &amp; Mercaldo, CRAN, man/BI.Rd, written with H. Bang's help). Its output,
    /// reproduced to 3 decimals by the test suite of BlindingIndex.jl (JuliaHealth, test/runtests.jl), is
    /// 0.896 (SE 0.011, 95% CI 0.875 to 0.918).
    /// </summary>
    [Fact]
    public void Matches_the_published_package_output_for_Houweling_2014()
    {
        var james = JamesIndex.Compute(BlindingTable.FromCounts(["Treatment", "Placebo"], [[48, 22], [4, 30], [330, 319]]));
        var e = james.Estimate!;

        Assert.Equal(
            (0.896, 0.011, 0.875, 0.918),
            (Math.Round(e.Value, 3), Math.Round(e.StandardError, 3), Math.Round(e.Lower, 3), Math.Round(e.Upper, 3)));
        Assert.Null(james.Flag);
    }
}
