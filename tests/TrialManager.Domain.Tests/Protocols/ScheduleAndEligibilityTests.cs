using TrialManager.Domain.Protocols;

namespace TrialManager.Domain.Tests.Protocols;

public class ScheduleAndEligibilityTests
{
    private static readonly DosingRegimen EveryThirdDay = new(new Dose(1, "capsule"), new EveryNthDay(3), StartDay: 1, DurationDays: 42);
    private static readonly DosingRegimen FourOnThreeOff = new(new Dose(1, "tablet"), new OnOffCycle(4, 3), StartDay: 1, DurationDays: 56);

    [Fact]
    public void Every_third_day_doses_on_days_1_4_7_and_so_on()
    {
        var days = Enumerable.Range(-2, 50).Where(EveryThirdDay.IsDosingDay).ToList();

        // Days 1, 4, ..., 40: (40 - 1) / 3 + 1 = 14 doses; day 43 would be past the 42 days.
        Assert.Equal(Enumerable.Range(0, 14).Select(i => 1 + (3 * i)), days);
        Assert.Equal(14, EveryThirdDay.TotalDoses);
        Assert.Equal(42, EveryThirdDay.LastDay);
    }

    [Theory]
    [InlineData(1, 7, 3)]     // 1, 4, 7
    [InlineData(2, 3, 0)]     // the two rest days after the first dose
    [InlineData(8, 14, 2)]    // 10, 13
    [InlineData(-14, 0, 0)]   // nothing before the first dosing day
    [InlineData(0, 21, 7)]    // 1, 4, 7, 10, 13, 16, 19
    [InlineData(41, 60, 0)]   // after the last dose on day 40
    [InlineData(0, 100, 14)]
    [InlineData(10, 9, 0)]    // an empty span
    public void Every_third_day_counts(int from, int to, int expected)
    {
        Assert.Equal(expected, EveryThirdDay.ScheduledDoses(from, to));
    }

    [Fact]
    public void Four_on_three_off_doses_on_the_first_four_days_of_each_week()
    {
        Assert.Equal([1, 2, 3, 4, 8, 9, 10, 11], Enumerable.Range(0, 14).Where(FourOnThreeOff.IsDosingDay));
        Assert.False(FourOnThreeOff.IsDosingDay(57));

        // Eight cycles of four dosing days.
        Assert.Equal(32, FourOnThreeOff.TotalDoses);
    }

    [Theory]
    [InlineData(1, 14, 8)]    // two whole cycles
    [InlineData(5, 7, 0)]     // the first rest days
    [InlineData(3, 9, 4)]     // 3, 4, 8, 9
    [InlineData(0, 31, 19)]   // four cycles (16) plus days 29, 30, 31
    [InlineData(28, 56, 16)]  // day 28 rests; 29-32, 36-39, 43-46, 50-53
    [InlineData(50, 90, 4)]   // 50-53, then dosing has ended
    public void Four_on_three_off_counts(int from, int to, int expected)
    {
        Assert.Equal(expected, FourOnThreeOff.ScheduledDoses(from, to));
    }

    [Fact]
    public void Visit_window_bounds_are_inclusive()
    {
        var week2 = new Visit("W2", "Week 2", VisitKind.Treatment, 14, 3, 2, [], false, false);

        Assert.Equal((11, 16), (week2.EarliestDay, week2.LatestDay));
        Assert.True(week2.IsInWindow(11));
        Assert.True(week2.IsInWindow(16));
        Assert.False(week2.IsInWindow(10));
        Assert.False(week2.IsInWindow(17));
    }

    private static readonly EligibilityCriteria Criteria = ProtocolFiles.Load("psilocybin-mdd.yaml").Protocol!.Eligibility;

    private static Dictionary<string, string?> EligibleAnswers() => new()
    {
        ["INC-AGE"] = "34",
        ["INC-CONSENT"] = "yes",
        ["INC-EPISODE"] = "yes",
        ["INC-DEP9"] = "13",
        ["EXC-PSYCHOSIS"] = "no",
        ["EXC-FAMILY"] = "no",
        ["EXC-SSRI"] = "no",
        ["EXC-MAOI"] = "no",
        ["EXC-LITHIUM"] = "no",
        ["EXC-VALVE"] = "No",
        ["EXC-PREGNANCY"] = "not_applicable",
        ["EXC-SUICIDE"] = "no",
        ["EXC-PSYCHEDELIC"] = "no",
    };

    [Fact]
    public void Eligible_answers_pass()
    {
        var result = Criteria.Evaluate(EligibleAnswers());

        Assert.True(result.IsEligible, string.Join("; ", result.Failures.Select(f => f.Reason)));
        Assert.False(result.HasHardStop);
    }

    [Theory]
    [InlineData("INC-AGE", "20", "20 is outside the eligible range 21 to 65 years.")]
    [InlineData("INC-AGE", "66", "66 is outside the eligible range 21 to 65 years.")]
    [InlineData("INC-AGE", "thirty", "Enter a number")]
    [InlineData("INC-DEP9", "9", "9 is outside the eligible range 10 to 19.")]
    [InlineData("INC-DEP9", "20", "20 is outside the eligible range 10 to 19.")]
    [InlineData("EXC-PSYCHOSIS", "yes", "Answered yes; only no qualifies.")]
    [InlineData("EXC-FAMILY", "perhaps", "Answer yes or no.")]
    [InlineData("INC-CONSENT", "no", "Answered no; only yes qualifies.")]
    [InlineData("EXC-PREGNANCY", "breastfeeding", "Answered 'Breastfeeding'; qualifying answers: Cannot become pregnant, Negative test and using contraception.")]
    [InlineData("EXC-PREGNANCY", "'; DROP TABLE", "Choose one of:")]
    [InlineData("EXC-SSRI", null, "Not answered.")]
    public void Failed_hard_stop_criteria_are_named_with_a_reason(string code, string? answer, string reason)
    {
        var answers = EligibleAnswers();
        answers[code] = answer;

        var result = Criteria.Evaluate(answers);

        var failure = Assert.Single(result.Failures);
        Assert.Equal(code, failure.Criterion.Code);
        Assert.Contains(reason, failure.Reason, StringComparison.Ordinal);
        Assert.True(result.HasHardStop);
        Assert.False(result.IsEligible);
    }

    [Fact]
    public void Failed_soft_criterion_needs_a_decision_but_is_not_a_hard_stop()
    {
        var answers = EligibleAnswers();
        answers["EXC-PSYCHEDELIC"] = "yes";

        var result = Criteria.Evaluate(answers);

        Assert.False(result.IsEligible);
        Assert.False(result.HasHardStop);
        Assert.Equal("EXC-PSYCHEDELIC", Assert.Single(result.Failures).Criterion.Code);
    }

    [Fact]
    public void Missing_answers_all_fail()
    {
        var result = Criteria.Evaluate(new Dictionary<string, string?>());

        Assert.Equal(Criteria.Criteria.Count, result.Failures.Count);
        Assert.All(result.Failures, f => Assert.Equal("Not answered.", f.Reason));
    }
}
