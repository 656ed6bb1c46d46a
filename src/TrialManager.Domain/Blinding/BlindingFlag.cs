namespace TrialManager.Domain.Blinding;

/// <summary>What a blinding index suggests about the blind. Absence of a flag is not proof the blind held.</summary>
public enum BlindingFlag
{
    /// <summary>Bang's index for an arm is above +0.2: respondents in that arm tended to guess their own arm.</summary>
    PossibleUnblindingGuessedOwnArm,

    /// <summary>Bang's index for an arm is below −0.2: respondents in that arm tended to guess another arm.</summary>
    PossibleUnblindingGuessedOpposite,

    /// <summary>The upper limit of the 95% interval of James' index is below 0.5: overall, fewer wrong or "don't know" answers than random guessing would give.</summary>
    LackOfBlinding,
}

/// <summary>A flag raised by one index, for one arm (Bang) or for the whole table (James, <see cref="Arm"/> null).</summary>
public sealed record BlindingFinding(BlindingFlag Flag, string? Arm)
{
    public string Description => BlindingFlags.Describe(Flag);
}

public static class BlindingFlags
{
    /// <summary>Bang's index beyond ±this (strictly) is flagged; −0.2 ≤ BI ≤ 0.2 is read as consistent with blinding (R package BI's documentation, after Bang et al. 2004).</summary>
    public const double BangThreshold = 0.2;

    /// <summary>James' index equals this under random guessing; an upper 95% limit below it is flagged.</summary>
    public const double JamesRandomGuessing = 0.5;

    public static string Describe(BlindingFlag flag) => flag switch
    {
        BlindingFlag.PossibleUnblindingGuessedOwnArm =>
            "Possible unblinding: respondents in this arm guessed their own arm more often than the other arms (Bang's index above 0.2).",
        BlindingFlag.PossibleUnblindingGuessedOpposite =>
            "Possible unblinding in the opposite direction: respondents in this arm guessed another arm more often than their own (Bang's index below -0.2).",
        BlindingFlag.LackOfBlinding =>
            "Lack of blinding: the upper 95% limit of James' index is below 0.5, the value under random guessing.",
        _ => throw new ArgumentOutOfRangeException(nameof(flag), flag, null),
    };

    /// <summary>The Bang flag for an estimate, or null when |BI| ≤ 0.2 or the index is undefined.</summary>
    public static BlindingFlag? ForBang(double? index) => index switch
    {
        > BangThreshold => BlindingFlag.PossibleUnblindingGuessedOwnArm,
        < -BangThreshold => BlindingFlag.PossibleUnblindingGuessedOpposite,
        _ => null,
    };

    /// <summary>The James flag for an estimate, or null when its upper limit is 0.5 or more, or it is undefined.</summary>
    public static BlindingFlag? ForJames(IndexEstimate? estimate) =>
        estimate is not null && estimate.Upper < JamesRandomGuessing ? BlindingFlag.LackOfBlinding : null;
}
