namespace TrialManager.Domain.Blinding;

/// <summary>Why James' index could not be computed.</summary>
public enum JamesUndefinedReason
{
    /// <summary>The table has no answers.</summary>
    NoAnswers,

    /// <summary>
    /// Every answer that named an arm came from respondents in a single arm. The chance correction then expects
    /// exactly the disagreement observed (or none at all), whatever the guesses, so the index carries no information.
    /// </summary>
    GuessesFromOneArmOnly,
}

/// <summary>
/// James' blinding index for the whole table (James, Bloch, Lee, Kraemer &amp; Fuller, Statistics in Medicine
/// 1996;15:1421–1434), with disagreement weights 0 for a correct guess, 0.5 for an incorrect one (any other arm) and
/// 1 for "don't know". With P_ij = n_ij / N (i guessed arm, j true arm), P_dk = don't know / N, G = 1 − P_dk,
/// guess margins r_i = Σ_j P_ij and true-arm margins among guessers c_j = Σ_i P_ij (i over arms only):
/// <code>
/// P_o = Σ_ij w_ij·P_ij / G                 observed disagreement among those who guessed
/// P_e = Σ_ij w_ij·r_i·c_j / G²             disagreement expected if guess and arm were independent
/// κ_d = (P_o − P_e) / P_e
/// BI  = (1 + P_dk + G·κ_d) / 2
/// Var(BI) = (V1 + V2) / N, with D = Σ_ij w_ij·r_i·c_j (= P_e·G²), and for each cell
///   m_ij = Σ_r (w_rj·r_r + w_ir·c_r)
///   V1 = Σ_ij P_ij·G²·[G·w_ij − (1 + κ_d)·m_ij]² / (4·D²)
///   V2 = P_dk(1 − P_dk) − G(1 + κ_d)·[P_dk + G(1 + κ_d)/4]
/// </code>
/// Range 0..1: 1 complete blinding (everyone "don't know"), 0.5 random guessing, 0 complete unblinding. The
/// variance is James' as implemented in the R package BI 1.2.0 (Schwartz &amp; Mercaldo), written here for k arms;
/// it equals the multinomial delta-method variance of BI (the tests check it against a numerical delta method).
/// Degenerate tables: no answers → undefined; everyone "don't know" → 1 with SE 0 (James 1996 p. 1425, as cited by the
/// R package BI; also the limit of the formula, since G·P_o/P_e ≤ 2G); guesses from one arm only → undefined (see <see cref="JamesUndefinedReason"/>).
/// </summary>
public sealed record JamesIndex(int N, int DontKnow, IndexEstimate? Estimate, JamesUndefinedReason? UndefinedReason)
{
    /// <summary>Weight of an incorrect guess; correct is 0, "don't know" is 1.</summary>
    public const double IncorrectWeight = 0.5;

    /// <summary>κ_d, the weighted disagreement among those who guessed, relative to chance; null when undefined or when nobody guessed.</summary>
    public double? KappaD { get; init; }

    public BlindingFlag? Flag => BlindingFlags.ForJames(Estimate);

    public static JamesIndex Compute(BlindingTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var k = table.ArmCount;
        var total = table.Total;
        var dontKnow = table.TotalDontKnow;
        if (total == 0)
        {
            return new JamesIndex(0, 0, null, JamesUndefinedReason.NoAnswers);
        }

        if (dontKnow == total)
        {
            return new JamesIndex(total, dontKnow, new IndexEstimate(1, 0, 1, 1, 0, 1), null);
        }

        var armsWithGuesses = Enumerable.Range(0, k).Count(j => table.GuessedColumnTotal(j) > 0);
        if (armsWithGuesses < 2)
        {
            return new JamesIndex(total, dontKnow, null, JamesUndefinedReason.GuessesFromOneArmOnly);
        }

        double n = total;
        var pdk = dontKnow / n;
        var g = 1 - pdk;
        var p = new double[k, k];
        var r = new double[k];
        var c = new double[k];
        for (var i = 0; i < k; i++)
        {
            r[i] = table.RowTotal(i) / n;
            c[i] = table.GuessedColumnTotal(i) / n;
            for (var j = 0; j < k; j++)
            {
                p[i, j] = table.Cell(i, j) / n;
            }
        }

        double observed = 0, d = 0;
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++)
            {
                observed += W(i, j) * p[i, j];
                d += W(i, j) * r[i] * c[j];
            }
        }

        // With guesses in two or more arms, D > 0: some guessed row i meets a true-arm column j ≠ i.
        var po = observed / g;
        var pe = d / (g * g);
        var kappa = (po - pe) / pe;
        // In exact arithmetic 0 ≤ BI ≤ 1 (κ_d ≥ −1 and G·P_o/P_e ≤ 2G); the clamp only absorbs rounding.
        var value = Math.Clamp((1 + pdk + (g * kappa)) / 2, 0, 1);
        var onePlusKappa = 1 + kappa;

        double sum = 0;
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++)
            {
                double m = 0;
                for (var s = 0; s < k; s++)
                {
                    m += (W(s, j) * r[s]) + (W(i, s) * c[s]);
                }

                var inner = (g * W(i, j)) - (onePlusKappa * m);
                sum += p[i, j] * g * g * inner * inner;
            }
        }

        var v1 = sum / (4 * d * d);
        var v2 = (pdk * (1 - pdk)) - (g * onePlusKappa * (pdk + (g * onePlusKappa / 4)));
        var estimate = IndexEstimate.Wald(value, (v1 + v2) / n, 0, 1);
        return new JamesIndex(total, dontKnow, estimate, null) { KappaD = kappa };
    }

    private static double W(int guessed, int trueArm) => guessed == trueArm ? 0 : IncorrectWeight;
}
