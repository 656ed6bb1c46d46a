using TrialManager.Domain.Protocols;

namespace TrialManager.Domain.Blinding;

/// <summary>
/// The classical blinding table: one row per arm guessed plus a "don't know" row, one column per true arm; a cell
/// counts the answers of respondents in that true arm who gave that guess. Works for any number of arms ≥ 2. For
/// arm j: correct = guessed j; incorrect = guessed any other arm; don't know = guessed no arm.
/// </summary>
public sealed class BlindingTable
{
    /// <summary>[row, column]: row = guessed arm index, or <see cref="ArmCount"/> for "don't know"; column = true arm index.</summary>
    private readonly int[,] _counts;

    private BlindingTable(IReadOnlyList<string> arms, int[,] counts)
    {
        Arms = arms;
        _counts = counts;
    }

    /// <summary>The arms, in the order of the table's columns (and of its guess rows).</summary>
    public IReadOnlyList<string> Arms { get; }

    public int ArmCount => Arms.Count;

    /// <summary>Every answer.</summary>
    public int Total => Sum(0, ArmCount + 1, 0, ArmCount);

    /// <summary>Answers that named an arm (everything but "don't know").</summary>
    public int TotalGuessed => Total - TotalDontKnow;

    public int TotalCorrect => Enumerable.Range(0, ArmCount).Sum(j => _counts[j, j]);

    public int TotalIncorrect => TotalGuessed - TotalCorrect;

    public int TotalDontKnow => Sum(ArmCount, ArmCount + 1, 0, ArmCount);

    /// <summary>
    /// Builds the table from (true arm, guessed arm) pairs; a null guess is "don't know".
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two arms, a blank or repeated arm code, or an answer naming an arm not in <paramref name="arms"/>.</exception>
    public static BlindingTable FromAnswers(IReadOnlyList<string> arms, IEnumerable<(string TrueArm, string? GuessedArm)> answers)
    {
        ArgumentNullException.ThrowIfNull(answers);
        var codes = CheckArms(arms);
        var counts = new int[codes.Count + 1, codes.Count];
        foreach (var (trueArm, guessedArm) in answers)
        {
            var column = IndexOf(codes, trueArm, nameof(answers));
            var row = guessedArm is null ? codes.Count : IndexOf(codes, guessedArm, nameof(answers));
            counts[row, column]++;
        }

        return new BlindingTable(codes, counts);
    }

    /// <summary>
    /// Builds the table from its counts, laid out as printed in the papers: <paramref name="rows"/> has one row per
    /// guessed arm (in the order of <paramref name="arms"/>) and then the "don't know" row; each row has one count
    /// per true arm.
    /// </summary>
    /// <exception cref="ArgumentException">Bad arms, wrong shape, or a negative count.</exception>
    public static BlindingTable FromCounts(IReadOnlyList<string> arms, IReadOnlyList<IReadOnlyList<int>> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var codes = CheckArms(arms);
        if (rows.Count != codes.Count + 1 || rows.Any(r => r is null || r.Count != codes.Count))
        {
            throw new ArgumentException($"Expected {codes.Count + 1} rows (one per guessed arm, then don't know) of {codes.Count} counts (one per true arm).", nameof(rows));
        }

        var counts = new int[codes.Count + 1, codes.Count];
        for (var i = 0; i <= codes.Count; i++)
        {
            for (var j = 0; j < codes.Count; j++)
            {
                counts[i, j] = rows[i][j] >= 0 ? rows[i][j] : throw new ArgumentException("Counts cannot be negative.", nameof(rows));
            }
        }

        return new BlindingTable(codes, counts);
    }

    /// <summary>
    /// Builds the table from answers to the protocol's question (<see cref="BlindingAssessment.Guesses"/>): each answer
    /// is (the respondent's true arm, the code of the guess chosen). A guess that names no arm is "don't know". The
    /// table's columns are the guesses that name arms, in protocol order, identified by the guess code: a true arm
    /// belongs to the column of the guess that names it. When each guess names one arm this is the arm-by-arm
    /// table; when a guess names several arms (say "active" for two doses), those arms cannot be told apart by the
    /// question and are pooled into that guess's column.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// Fewer than two guesses name arms (the question cannot tell arms apart), an arm named twice, an unknown guess code, or a true arm that no guess names.
    /// </exception>
    public static BlindingTable FromProtocolGuesses(IReadOnlyList<BlindingGuess> guesses, IEnumerable<(string TrueArm, string GuessCode)> answers)
    {
        ArgumentNullException.ThrowIfNull(guesses);
        ArgumentNullException.ThrowIfNull(answers);
        var columns = guesses.Where(g => g.Arms.Count > 0).Select(g => g.Code).ToList();
        var columnOfArm = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var guess in guesses)
        {
            foreach (var arm in guess.Arms)
            {
                if (!columnOfArm.TryAdd(arm, guess.Code))
                {
                    throw new ArgumentException($"Arm {arm} is named by more than one guess.", nameof(guesses));
                }
            }
        }

        var guessByCode = guesses.ToDictionary(g => g.Code, StringComparer.Ordinal);
        var pairs = answers.Select(a =>
        {
            if (!columnOfArm.TryGetValue(a.TrueArm, out var trueColumn))
            {
                throw new ArgumentException($"No guess names arm {a.TrueArm}.", nameof(answers));
            }

            if (!guessByCode.TryGetValue(a.GuessCode, out var guess))
            {
                throw new ArgumentException($"Guess {a.GuessCode} is not one of the protocol's guesses.", nameof(answers));
            }

            return (trueColumn, guess.Arms.Count == 0 ? null : guess.Code);
        });
        return FromAnswers(columns, pairs);
    }

    /// <summary>Answers in <paramref name="trueArm"/> that guessed <paramref name="guessedArm"/> (null: "don't know").</summary>
    public int Count(string? guessedArm, string trueArm) =>
        _counts[guessedArm is null ? ArmCount : IndexOf(Arms, guessedArm, nameof(guessedArm)), IndexOf(Arms, trueArm, nameof(trueArm))];

    /// <summary>n_j: every answer from respondents in the arm, "don't know" included.</summary>
    public int N(string arm) => ColumnTotal(IndexOf(Arms, arm, nameof(arm)));

    public int Correct(string arm)
    {
        var j = IndexOf(Arms, arm, nameof(arm));
        return _counts[j, j];
    }

    /// <summary>Answers in the arm that guessed any other arm.</summary>
    public int Incorrect(string arm) => Guessed(arm) - Correct(arm);

    public int DontKnow(string arm) => _counts[ArmCount, IndexOf(Arms, arm, nameof(arm))];

    /// <summary>Answers in the arm that named an arm (correct + incorrect).</summary>
    public int Guessed(string arm) => N(arm) - DontKnow(arm);

    internal int Cell(int row, int column) => _counts[row, column];

    internal int ColumnTotal(int column) => Sum(0, ArmCount + 1, column, column + 1);

    internal int RowTotal(int row) => Sum(row, row + 1, 0, ArmCount);

    /// <summary>Among answers that named an arm, how many came from respondents in arm <paramref name="column"/>.</summary>
    internal int GuessedColumnTotal(int column) => Sum(0, ArmCount, column, column + 1);

    private int Sum(int rowFrom, int rowTo, int columnFrom, int columnTo)
    {
        var total = 0;
        for (var i = rowFrom; i < rowTo; i++)
        {
            for (var j = columnFrom; j < columnTo; j++)
            {
                total += _counts[i, j];
            }
        }

        return total;
    }

    private static List<string> CheckArms(IReadOnlyList<string> arms)
    {
        ArgumentNullException.ThrowIfNull(arms);
        if (arms.Count < 2)
        {
            throw new ArgumentException("A blinding table needs at least two arms.", nameof(arms));
        }

        if (arms.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("Arm codes cannot be blank.", nameof(arms));
        }

        if (arms.Distinct(StringComparer.Ordinal).Count() != arms.Count)
        {
            throw new ArgumentException("Arm codes must be distinct.", nameof(arms));
        }

        return [.. arms];
    }

    private static int IndexOf(IReadOnlyList<string> arms, string arm, string parameter)
    {
        for (var j = 0; j < arms.Count; j++)
        {
            if (string.Equals(arms[j], arm, StringComparison.Ordinal))
            {
                return j;
            }
        }

        throw new ArgumentException($"Arm {arm} is not in the table.", parameter);
    }
}
