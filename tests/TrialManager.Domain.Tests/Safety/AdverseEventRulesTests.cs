using TrialManager.Domain.Protocols;
using TrialManager.Domain.Safety;
using TrialManager.Domain.Tests.Protocols;

namespace TrialManager.Domain.Tests.Safety;

public class AdverseEventRulesTests
{
    internal static readonly SafetyRules Rules = ProtocolFiles.Load("psilocybin-mdd.yaml").Protocol!.Safety;
    internal static readonly TimeZoneInfo London = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly Consent = new(2026, 10, 1);

    internal static AdverseEventReport Mild(DateTimeOffset? aware = null) => new(
        "Headache", null, null, new DateOnly(2026, 11, 18), null, 1, false, [], Causality.PossiblyRelated,
        ActionTaken.DoseNotChanged, EventOutcome.Recovering, null, aware ?? new DateTimeOffset(2026, 11, 19, 9, 0, 0, TimeSpan.Zero));

    private static IReadOnlyList<RuleViolation> Check(AdverseEventReport report) => AdverseEventRules.Check(report, Rules, Consent, Now, London);

    private static void AssertOnly(AdverseEventReport report, string field, string fragment)
    {
        var problems = Check(report);
        Assert.Contains(problems, p => p.Field == field && p.Message.Contains(fragment, StringComparison.Ordinal));
    }

    [Fact]
    public void A_consistent_report_passes() => Assert.Empty(Check(Mild()));

    [Fact]
    public void A_consistent_fatal_report_passes() =>
        Assert.Empty(Check(Mild() with { Grade = 5, Serious = true, SeriousnessCriteria = [AdverseEventReport.Death], Outcome = EventOutcome.Fatal, End = new DateOnly(2026, 11, 19) }));

    [Fact]
    public void Grade_5_needs_a_fatal_outcome() =>
        AssertOnly(Mild() with { Grade = 5, Serious = true, SeriousnessCriteria = [AdverseEventReport.Death] }, AdverseEventRules.Outcome, "Grade 5");

    [Fact]
    public void Grade_5_needs_serious_by_death()
    {
        AssertOnly(Mild() with { Grade = 5, Outcome = EventOutcome.Fatal, End = new DateOnly(2026, 11, 19) }, AdverseEventRules.SeriousnessCriteria, "death");
        AssertOnly(Mild() with { Grade = 5, Serious = true, SeriousnessCriteria = ["hospitalization"], Outcome = EventOutcome.Fatal, End = new DateOnly(2026, 11, 19) }, AdverseEventRules.SeriousnessCriteria, "death");
    }

    [Fact]
    public void A_fatal_outcome_is_grade_5() =>
        AssertOnly(Mild() with { Grade = 3, Serious = true, SeriousnessCriteria = [AdverseEventReport.Death], Outcome = EventOutcome.Fatal, End = new DateOnly(2026, 11, 19) }, AdverseEventRules.Grade, "grade 5");

    [Fact]
    public void The_death_criterion_needs_a_fatal_outcome() =>
        AssertOnly(Mild() with { Grade = 4, Serious = true, SeriousnessCriteria = [AdverseEventReport.Death] }, AdverseEventRules.Outcome, "death");

    [Fact]
    public void Serious_needs_at_least_one_criterion() =>
        AssertOnly(Mild() with { Serious = true }, AdverseEventRules.SeriousnessCriteria, "at least one");

    [Fact]
    public void Criteria_without_serious_are_refused() =>
        AssertOnly(Mild() with { SeriousnessCriteria = ["hospitalization"] }, AdverseEventRules.Serious, "mark it serious");

    [Fact]
    public void Unknown_criteria_are_refused() =>
        AssertOnly(Mild() with { Serious = true, SeriousnessCriteria = ["bad_hair_day"] }, AdverseEventRules.SeriousnessCriteria, "bad_hair_day");

    [Fact]
    public void End_not_before_onset() =>
        AssertOnly(Mild() with { End = new DateOnly(2026, 11, 17), Outcome = EventOutcome.Recovered }, AdverseEventRules.End, "before the onset");

    [Fact]
    public void End_on_the_onset_day_is_fine() =>
        Assert.Empty(Check(Mild() with { End = new DateOnly(2026, 11, 18), Outcome = EventOutcome.Recovered }));

    [Fact]
    public void Onset_not_before_consent() =>
        AssertOnly(Mild() with { Onset = new DateOnly(2026, 9, 30) }, AdverseEventRules.Onset, "before the participant consented");

    [Fact]
    public void Onset_on_the_consent_day_is_fine() =>
        Assert.Empty(Check(Mild() with { Onset = Consent, SiteAwareAt = new DateTimeOffset(2026, 10, 2, 9, 0, 0, TimeSpan.Zero) }));

    [Fact]
    public void Onset_and_end_cannot_be_in_the_future_at_the_site()
    {
        AssertOnly(Mild() with { Onset = new DateOnly(2026, 11, 21) }, AdverseEventRules.Onset, "after today");
        AssertOnly(Mild() with { End = new DateOnly(2026, 11, 21), Outcome = EventOutcome.Recovered }, AdverseEventRules.End, "after today");
    }

    [Fact]
    public void Today_is_the_sites_today_not_UTCs()
    {
        // 23:30 UTC on 20 November is already 21 November in Tokyo: an onset of the 21st is today there.
        var tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");
        var late = new DateTimeOffset(2026, 11, 20, 23, 30, 0, TimeSpan.Zero);
        var report = Mild() with { Onset = new DateOnly(2026, 11, 21), SiteAwareAt = late };
        Assert.Empty(AdverseEventRules.Check(report, Rules, Consent, late, tokyo));
        Assert.Contains(AdverseEventRules.Check(report, Rules, Consent, late, London), p => p.Field == AdverseEventRules.Onset);
    }

    [Fact]
    public void A_recovered_event_needs_an_end_date_and_an_ongoing_one_has_none()
    {
        AssertOnly(Mild() with { Outcome = EventOutcome.Recovered }, AdverseEventRules.End, "needs the date the event ended");
        AssertOnly(Mild() with { End = new DateOnly(2026, 11, 19) }, AdverseEventRules.End, "no end date yet");
    }

    [Fact]
    public void Grade_must_be_1_to_5()
    {
        AssertOnly(Mild() with { Grade = 0 }, AdverseEventRules.Grade, "1 to 5");
        AssertOnly(Mild() with { Grade = 6 }, AdverseEventRules.Grade, "1 to 5");
    }

    [Fact]
    public void Term_is_required_and_bounded()
    {
        AssertOnly(Mild() with { ReportedTerm = "  " }, AdverseEventRules.ReportedTerm, "Enter the event");
        AssertOnly(Mild() with { ReportedTerm = new string('x', 201) }, AdverseEventRules.ReportedTerm, "200");
        AssertOnly(Mild() with { Code = "10019211" }, AdverseEventRules.CodedTerm, "coded term");
    }

    [Fact]
    public void Special_interest_must_be_one_of_the_protocols() =>
        AssertOnly(Mild() with { SpecialInterestCode = "AESI-NOPE" }, AdverseEventRules.SpecialInterest, "special interest");

    [Fact]
    public void The_site_cannot_learn_of_it_in_the_future_or_before_onset()
    {
        AssertOnly(Mild(Now.AddMinutes(1)), AdverseEventRules.SiteAwareAt, "future");
        AssertOnly(Mild(new DateTimeOffset(2026, 11, 17, 12, 0, 0, TimeSpan.Zero)), AdverseEventRules.SiteAwareAt, "before its onset");
    }

    [Fact]
    public void Expectedness_uses_the_reported_or_coded_term_against_the_reference_list()
    {
        Assert.True(AdverseEventRules.IsExpected(Mild(), Rules));
        Assert.True(AdverseEventRules.IsExpected(Mild() with { ReportedTerm = "Bad head pain", CodedTerm = "headache" }, Rules));
        Assert.False(AdverseEventRules.IsExpected(Mild() with { ReportedTerm = "Seizure" }, Rules));
    }
}
