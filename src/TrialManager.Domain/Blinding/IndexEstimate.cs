namespace TrialManager.Domain.Blinding;

/// <summary>
/// A blinding index with its large-sample standard error and two-sided 95% Wald interval, Value ± 1.96·SE.
/// <see cref="Lower"/> and <see cref="Upper"/> are reported as computed, NOT clipped, so they can be checked against
/// the formulas and published numbers (near the ends of the range a Wald interval can spill over it, which is a
/// sign the normal approximation is poor). <see cref="ClippedLower"/> and <see cref="ClippedUpper"/> are the same
/// limits cut to the index's range [<see cref="Minimum"/>, <see cref="Maximum"/>], for display.
/// </summary>
public sealed record IndexEstimate(double Value, double StandardError, double Lower, double Upper, double Minimum, double Maximum)
{
    /// <summary>The normal quantile used for the two-sided 95% intervals, as in both papers.</summary>
    public const double Z95 = 1.96;

    public double ClippedLower => Math.Clamp(Lower, Minimum, Maximum);

    public double ClippedUpper => Math.Clamp(Upper, Minimum, Maximum);

    /// <summary>Whether the (unclipped) interval contains <paramref name="value"/>.</summary>
    public bool Covers(double value) => Lower <= value && value <= Upper;

    /// <summary>
    /// Value ± 1.96·√variance. A variance that rounding made a hair below zero (the exact value is a sum of squares)
    /// is taken as zero, so the result is never NaN.
    /// </summary>
    internal static IndexEstimate Wald(double value, double variance, double minimum, double maximum)
    {
        var standardError = Math.Sqrt(Math.Max(0, variance));
        return new IndexEstimate(value, standardError, value - (Z95 * standardError), value + (Z95 * standardError), minimum, maximum);
    }
}
