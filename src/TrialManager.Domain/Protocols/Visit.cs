namespace TrialManager.Domain.Protocols;

public enum VisitKind
{
    /// <summary>Before randomization (negative day): eligibility is checked and baseline forms may be collected.</summary>
    Screening,

    /// <summary>Day 0: the participant is randomized.</summary>
    Randomization,

    /// <summary>During the dosing period.</summary>
    Treatment,

    /// <summary>After the last treatment visit.</summary>
    FollowUp,
}

/// <summary>
/// A scheduled visit. <see cref="Day"/> counts from randomization (day 0); the visit may happen from
/// <see cref="EarliestDay"/> to <see cref="LatestDay"/>. For screening the window is the period before
/// randomization in which screening counts.
/// </summary>
public sealed record Visit(
    string Code,
    string Name,
    VisitKind Kind,
    int Day,
    int WindowBeforeDays,
    int WindowAfterDays,
    IReadOnlyList<string> Forms,
    bool DispensesKit,
    bool AssessesBlinding)
{
    public int EarliestDay => Day - WindowBeforeDays;

    public int LatestDay => Day + WindowAfterDays;

    public bool IsInWindow(int studyDay) => studyDay >= EarliestDay && studyDay <= LatestDay;
}
