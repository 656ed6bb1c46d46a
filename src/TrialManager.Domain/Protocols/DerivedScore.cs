using System.Globalization;

namespace TrialManager.Domain.Protocols;

/// <summary>
/// A score summed from items of the same form, with severity bands that cover its whole range without
/// overlap (checked when the protocol loads). Items are integer fields or single choices with numeric codes.
/// </summary>
public sealed record DerivedScore(string Code, string Label, IReadOnlyList<string> Items, int Minimum, int Maximum, IReadOnlyList<ScoreBand> Bands)
{
    public ScoreBand BandFor(int total) =>
        Bands.FirstOrDefault(b => total >= b.Minimum && total <= b.Maximum)
        ?? throw new ArgumentOutOfRangeException(nameof(total), total, $"Score {Code} runs from {Minimum} to {Maximum}.");

    /// <summary>The total and band when every item has a value; null otherwise (a partial sum would understate severity).</summary>
    public ScoreResult? Compute(IReadOnlyDictionary<string, FieldValue> values)
    {
        var total = 0;
        foreach (var item in Items)
        {
            switch (values.GetValueOrDefault(item))
            {
                case IntegerValue number:
                    total += (int)number.Value;
                    break;
                case ChoiceValue choice:
                    total += int.Parse(choice.Code, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                    break;
                default:
                    return null;
            }
        }

        return new ScoreResult(Code, total, BandFor(total));
    }
}

public sealed record ScoreBand(string Code, string Label, int Minimum, int Maximum);

public sealed record ScoreResult(string ScoreCode, int Total, ScoreBand Band);
