namespace TrialManager.Domain.Blinding;

/// <summary>Everything measured from one blinding table: both indices, the correct-guess rates and the flags raised.</summary>
public sealed record BlindingSummary(
    BlindingTable Table,
    JamesIndex James,
    IReadOnlyList<BangIndex> Bang,
    GuessRates Overall,
    IReadOnlyList<GuessRates> ByArm)
{
    /// <summary>Bang flags in arm order, then the James flag.</summary>
    public IReadOnlyList<BlindingFinding> Findings =>
    [
        .. Bang.Where(b => b.Flag is not null).Select(b => new BlindingFinding(b.Flag!.Value, b.Arm)),
        .. James.Flag is { } flag ? [new BlindingFinding(flag, null)] : Array.Empty<BlindingFinding>(),
    ];

    public static BlindingSummary Of(BlindingTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return new BlindingSummary(
            table,
            JamesIndex.Compute(table),
            BangIndex.ComputeAll(table),
            GuessRates.Overall(table),
            [.. table.Arms.Select(arm => GuessRates.For(table, arm))]);
    }
}
