namespace TrialManager.Domain.Protocols;

public sealed record SafetyRules(
    string CtcaeVersion,
    IReadOnlyList<Choice> SeriousnessCriteria,
    IReadOnlyList<SpecialInterestEvent> SpecialInterestEvents,
    IReadOnlyList<string> ExpectedEvents,
    ReportingClocks ReportingClocks,
    IReadOnlyList<string> CodeBreakRoles)
{
    /// <summary>Whether a term is on the protocol's expected-events list (compared without regard to case), so a serious reaction to it is not a SUSAR.</summary>
    public bool IsExpected(string term) => ExpectedEvents.Contains(term.Trim(), StringComparer.OrdinalIgnoreCase);
}

/// <summary>An adverse event of special interest: reported on the sponsor's clock whether serious or not.</summary>
public sealed record SpecialInterestEvent(string Code, string Term);

/// <summary>How long each report may take, counted from when the site or sponsor first knew.</summary>
public sealed record ReportingClocks(
    ReportingAllowance SiteToSponsor,
    ReportingAllowance FatalOrLifeThreateningSusar,
    ReportingAllowance OtherSusar,
    ReportingAllowance FollowUp);

/// <summary>
/// How long a report may take: hours are elapsed time ("24h": a day and night by the clock on the wall, whatever
/// daylight saving does); days are calendar days at the site ("7d": by the end of the seventh day after day 0).
/// </summary>
public sealed record ReportingAllowance(TimeSpan Span, bool CalendarDays)
{
    public static ReportingAllowance Hours(int hours) => new(TimeSpan.FromHours(hours), false);

    public static ReportingAllowance Days(int days) => new(TimeSpan.FromDays(days), true);

    public override string ToString() => CalendarDays ? $"{Span.TotalDays:0} days" : $"{Span.TotalHours:0} hours";
}

public enum BlindingRespondent
{
    Participant,
    Investigator,
    SiteCoordinator,
    OutcomeAssessor,
}

/// <summary>Where and from whom the arm guess is asked, so whether the blind held can be measured.</summary>
public sealed record BlindingAssessment(
    IReadOnlyList<string> Visits,
    IReadOnlyList<BlindingRespondent> Respondents,
    IReadOnlyList<BlindingGuess> Guesses);

/// <summary>An answer to "which arm do you think": the arms it points to; none for "do not know".</summary>
public sealed record BlindingGuess(string Code, string Label, IReadOnlyList<string> Arms);
