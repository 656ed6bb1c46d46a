namespace TrialManager.Domain.Blinding;

/// <summary>
/// How often respondents guessed right: among all answers (correct / answers, "don't know" counting as not
/// correct) and among those who named an arm (correct / guessed). Null when the denominator is 0.
/// </summary>
public sealed record GuessRates(string? Arm, int Answers, int Guessed, int Correct)
{
    public double? AmongAnswers => Answers == 0 ? null : (double)Correct / Answers;

    public double? AmongGuesses => Guessed == 0 ? null : (double)Correct / Guessed;

    /// <summary>Rates for the respondents in one arm.</summary>
    public static GuessRates For(BlindingTable table, string arm)
    {
        ArgumentNullException.ThrowIfNull(table);
        return new GuessRates(arm, table.N(arm), table.Guessed(arm), table.Correct(arm));
    }

    /// <summary>Rates over the whole table (<see cref="Arm"/> null).</summary>
    public static GuessRates Overall(BlindingTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return new GuessRates(null, table.Total, table.TotalGuessed, table.TotalCorrect);
    }
}
