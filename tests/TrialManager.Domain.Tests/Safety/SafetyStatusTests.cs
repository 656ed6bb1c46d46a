using TrialManager.Domain.Safety;

namespace TrialManager.Domain.Tests.Safety;

public class SafetyStatusTests
{
    private static readonly TimeZoneInfo London = AdverseEventRulesTests.London;
    private static readonly DateTimeOffset Learned = new(2026, 11, 10, 8, 0, 0, TimeSpan.Zero);

    private static AdverseEventReport Serious(Causality causality = Causality.PossiblyRelated, string term = "Seizure", params string[] criteria) =>
        AdverseEventRulesTests.Mild(Learned) with
        {
            ReportedTerm = term,
            Grade = 3,
            Serious = true,
            SeriousnessCriteria = criteria.Length == 0 ? ["hospitalization"] : criteria,
            Causality = causality,
        };

    private static SafetyStatus Evaluate(IReadOnlyList<ReceivedReport> versions, SponsorAssessment? assessment = null, params SubmittedExpeditedReport[] submissions) =>
        SafetyStatus.Evaluate(versions, assessment, submissions, AdverseEventRulesTests.Rules, London);

    private static SponsorAssessment Assessed(int version, Causality causality = Causality.PossiblyRelated, bool expected = false) =>
        new(version, causality, expected, Learned.AddDays(1));

    [Fact]
    public void A_non_serious_event_has_no_clock_and_needs_no_assessment()
    {
        var status = Evaluate([new ReceivedReport(1, AdverseEventRulesTests.Mild(Learned), Learned.AddHours(2))]);
        Assert.Empty(status.Clocks);
        Assert.False(status.AwaitingAssessment);
        Assert.Null(status.ProvisionalDueAt);
    }

    [Fact]
    public void A_serious_event_reported_within_24_hours_meets_the_site_clock_and_waits_for_assessment()
    {
        var status = Evaluate([new ReceivedReport(1, Serious(), Learned.AddHours(20))]);
        var site = Assert.Single(status.Clocks);
        Assert.Equal(ClockKind.SiteToSponsor, site.Kind);
        Assert.Equal(Learned.AddHours(24), site.DueAt);
        Assert.Equal(ClockState.Met, site.StateAt(Learned.AddDays(3)));
        Assert.True(status.AwaitingAssessment);
        // 15 days from the local day the sponsor received it (04:00 on 11 November, GMT): due by the end of the 26th.
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero), status.ProvisionalDueAt);
    }

    [Fact]
    public void A_serious_event_reported_after_24_hours_is_met_late()
    {
        var status = Evaluate([new ReceivedReport(1, Serious(), Learned.AddHours(30))]);
        Assert.Equal(ClockState.MetLate, Assert.Single(status.Clocks).StateAt(Learned.AddDays(3)));
    }

    [Fact]
    public void An_event_of_special_interest_runs_the_site_clock_even_when_not_serious()
    {
        var status = Evaluate([new ReceivedReport(1, AdverseEventRulesTests.Mild(Learned) with { SpecialInterestCode = "AESI-PERC" }, Learned.AddHours(1))]);
        Assert.Equal(ClockKind.SiteToSponsor, Assert.Single(status.Clocks).Kind);
        Assert.False(status.AwaitingAssessment);
    }

    [Fact]
    public void Serious_related_and_unexpected_is_a_SUSAR_with_a_15_day_clock_from_receipt()
    {
        var received = Learned.AddHours(3);
        var status = Evaluate([new ReceivedReport(1, Serious(), received)], Assessed(1));
        Assert.True(status.IsSusar);
        var clock = status.Clocks.Single(c => c.Kind == ClockKind.ExpeditedInitial);
        Assert.Equal(received, clock.StartedAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 0, 0, 0, TimeSpan.Zero), clock.DueAt);
        Assert.Null(status.ProvisionalDueAt);
        Assert.False(status.AwaitingAssessment);
    }

    [Fact]
    public void A_fatal_or_life_threatening_SUSAR_is_due_in_7_days()
    {
        var status = Evaluate([new ReceivedReport(1, Serious(Causality.Related, "Seizure", AdverseEventReport.LifeThreatening), Learned.AddHours(3))], Assessed(1));
        Assert.Equal(new DateTimeOffset(2026, 11, 18, 0, 0, 0, TimeSpan.Zero), status.Clocks.Single(c => c.Kind == ClockKind.ExpeditedInitial).DueAt);
    }

    [Fact]
    public void The_sponsor_finding_it_related_makes_a_SUSAR_though_the_investigator_did_not()
    {
        var status = Evaluate([new ReceivedReport(1, Serious(Causality.NotRelated), Learned.AddHours(3))], Assessed(1, Causality.Related));
        Assert.True(status.IsSusar);
    }

    [Fact]
    public void The_sponsor_cannot_downgrade_the_investigators_causality()
    {
        var status = Evaluate([new ReceivedReport(1, Serious(Causality.Related), Learned.AddHours(3))], Assessed(1, Causality.NotRelated));
        Assert.True(status.IsSusar);
    }

    [Fact]
    public void Expected_or_unrelated_by_both_is_not_a_SUSAR()
    {
        Assert.False(Evaluate([new ReceivedReport(1, Serious(), Learned.AddHours(3))], Assessed(1, expected: true)).IsSusar);
        Assert.False(Evaluate([new ReceivedReport(1, Serious(Causality.UnlikelyRelated), Learned.AddHours(3))], Assessed(1, Causality.NotRelated)).IsSusar);
    }

    [Fact]
    public void The_expected_list_is_the_reference_but_the_sponsors_assessment_decides() =>
        Assert.True(Evaluate([new ReceivedReport(1, Serious(term: "Headache"), Learned.AddHours(3))]).ExpectedByReferenceList);

    [Fact]
    public void A_follow_up_after_assessment_waits_for_reassessment()
    {
        var status = Evaluate(
            [new ReceivedReport(1, Serious(), Learned.AddHours(3)), new ReceivedReport(2, Serious(), Learned.AddDays(2))],
            Assessed(1, expected: true));
        Assert.True(status.AwaitingAssessment);
    }

    [Fact]
    public void Submitting_the_expedited_report_meets_the_clock_and_a_later_follow_up_starts_a_15_day_clock()
    {
        var v1 = new ReceivedReport(1, Serious(), Learned.AddHours(3));
        var v2 = new ReceivedReport(2, Serious() with { Outcome = EventOutcome.Recovered, End = new DateOnly(2026, 11, 12) }, new DateTimeOffset(2026, 11, 20, 10, 0, 0, TimeSpan.Zero));
        var initial = new SubmittedExpeditedReport(1, Learned.AddDays(5));
        var status = Evaluate([v1, v2], Assessed(2), initial);

        var first = status.Clocks.Single(c => c.Kind == ClockKind.ExpeditedInitial);
        Assert.Equal(initial.SubmittedAt, first.MetAt);
        var followUp = status.Clocks.Single(c => c.Kind == ClockKind.ExpeditedFollowUp);
        Assert.Equal(2, followUp.Version);
        Assert.Null(followUp.MetAt);
        Assert.Equal(new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero), followUp.DueAt);

        var afterFollowUp = Evaluate([v1, v2], Assessed(2), initial, new SubmittedExpeditedReport(2, v2.ReceivedAt.AddDays(3)));
        Assert.Empty(afterFollowUp.OpenClocks);
    }

    [Fact]
    public void News_that_it_turned_fatal_starts_the_7_day_clock_when_that_is_sooner()
    {
        var v1 = new ReceivedReport(1, Serious(), Learned.AddHours(3));
        var fatal = Serious(Causality.Related, "Seizure", AdverseEventReport.Death) with { Grade = 5, Outcome = EventOutcome.Fatal, End = new DateOnly(2026, 11, 12) };
        var v2 = new ReceivedReport(2, fatal, new DateTimeOffset(2026, 11, 12, 10, 0, 0, TimeSpan.Zero));
        var status = Evaluate([v1, v2], Assessed(2));
        // 15 days from 10 November would be the end of the 25th; 7 days from 12 November is the end of the 19th.
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero), status.Clocks.Single(c => c.Kind == ClockKind.ExpeditedInitial).DueAt);
    }

    [Fact]
    public void Only_serious_versions_start_the_sponsors_clock()
    {
        var v1 = new ReceivedReport(1, AdverseEventRulesTests.Mild(Learned), Learned.AddHours(3));
        var v2 = new ReceivedReport(2, Serious(), new DateTimeOffset(2026, 11, 14, 9, 0, 0, TimeSpan.Zero));
        var status = Evaluate([v1, v2], Assessed(2));
        var clock = status.Clocks.Single(c => c.Kind == ClockKind.ExpeditedInitial);
        Assert.Equal(v2.ReceivedAt, clock.StartedAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero), clock.DueAt);
    }
}
