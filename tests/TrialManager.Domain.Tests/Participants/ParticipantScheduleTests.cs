using TrialManager.Domain.Participants;
using TrialManager.Domain.Protocols;
using TrialManager.Domain.Randomization;
using TrialManager.Domain.Tests.Protocols;

namespace TrialManager.Domain.Tests.Participants;

public class ParticipantScheduleTests
{
    private static readonly Protocol Psilocybin = ProtocolFiles.Load("psilocybin-mdd.yaml").Protocol!;
    private static readonly Protocol Lsd = ProtocolFiles.Load("lsd-gad.yaml").Protocol!;
    private static readonly DateOnly Randomized = new(2026, 3, 2);

    [Fact]
    public void Visits_are_placed_from_the_randomization_date_with_their_windows()
    {
        var schedule = VisitSchedule.FromRandomization(Psilocybin, Randomized);

        Assert.Equal(["D0", "W1", "W2", "W3", "W4", "W5", "W6"], schedule.Select(v => v.Visit.Code));
        var week1 = schedule[1];
        Assert.Equal(new DateOnly(2026, 3, 9), week1.Target);
        Assert.Equal(new DateOnly(2026, 3, 7), week1.Earliest);
        Assert.Equal(new DateOnly(2026, 3, 11), week1.Latest);
        Assert.Equal(Randomized, schedule[0].Target);
    }

    [Theory]
    [InlineData("2026-03-06", null, false, VisitStatus.Upcoming)]
    [InlineData("2026-03-07", null, false, VisitStatus.Due)]
    [InlineData("2026-03-11", null, false, VisitStatus.Due)]
    [InlineData("2026-03-12", null, false, VisitStatus.Overdue)]
    [InlineData("2026-03-12", null, true, VisitStatus.Missed)]
    [InlineData("2026-03-20", "2026-03-10", false, VisitStatus.Done)]
    [InlineData("2026-03-20", "2026-03-12", false, VisitStatus.DoneOutOfWindow)]
    [InlineData("2026-03-20", "2026-03-06", false, VisitStatus.DoneOutOfWindow)]
    public void Status_follows_the_window(string today, string? done, bool missed, VisitStatus expected)
    {
        var week1 = VisitSchedule.FromRandomization(Psilocybin, Randomized)[1];
        var status = VisitSchedule.StatusOf(week1, DateOnly.Parse(today, System.Globalization.CultureInfo.InvariantCulture), done is null ? null : DateOnly.Parse(done, System.Globalization.CultureInfo.InvariantCulture), missed);
        Assert.Equal(expected, status);
    }

    [Fact]
    public void The_local_date_at_a_site_follows_its_time_zone_across_daylight_saving()
    {
        var london = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");
        var boston = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        // 03:30 UTC on 8 March 2026 is still the evening of the 7th in Boston (UTC-5).
        var instant = new DateTimeOffset(2026, 3, 8, 3, 30, 0, TimeSpan.Zero);
        Assert.Equal(new DateOnly(2026, 3, 8), SiteCalendar.LocalDate(instant, london));
        Assert.Equal(new DateOnly(2026, 3, 7), SiteCalendar.LocalDate(instant, boston));

        // US clocks went forward at 02:00 on the 8th (UTC-4 from then). 04:30 UTC on the 9th is 00:30 on the 9th;
        // a calculation that ignored daylight saving would still say the 8th.
        Assert.Equal(new DateOnly(2026, 3, 9), SiteCalendar.LocalDate(new DateTimeOffset(2026, 3, 9, 4, 30, 0, TimeSpan.Zero), boston));
    }

    [Fact]
    public void Diary_adherence_counts_only_doses_on_dosing_days()
    {
        // Every third day from day 1: days 1, 4, 7, 10, 13 through day 14 = 5 doses.
        var diary = new Dictionary<int, bool> { [1] = true, [4] = true, [7] = false, [10] = true, [13] = true, [5] = true };

        var result = Adherence.FromDiary(Psilocybin.Dosing, 14, diary);

        Assert.Equal(5, result.Scheduled);
        Assert.Equal(4, result.Taken);
        Assert.Equal(1, result.ExtraDoses);
        Assert.Equal(0.8, result.Rate);
        Assert.False(result.BelowThreshold);
        Assert.Equal("80 %", result.Percent);
    }

    [Fact]
    public void Adherence_below_eighty_percent_is_flagged()
    {
        var result = Adherence.FromDiary(Psilocybin.Dosing, 14, new Dictionary<int, bool> { [1] = true, [4] = true, [10] = true });
        Assert.True(result.BelowThreshold);
        Assert.Equal(0.6, result.Rate);
    }

    [Fact]
    public void Pill_count_adherence_for_four_days_on_three_off()
    {
        // Dispensed on day 1, returned on day 15: days 1-14 hold 8 dosing days (1-4, 8-11).
        var result = Adherence.FromPillCount(Lsd.Dosing, 1, 15, dosesDispensed: 12, unusedDosesReturned: 5);

        Assert.Equal(8, result.Scheduled);
        Assert.Equal(7, result.Taken);
        Assert.Equal(0, result.ExtraDoses);
        Assert.Equal(7.0 / 8, result.Rate);

        var overused = Adherence.FromPillCount(Lsd.Dosing, 1, 15, dosesDispensed: 12, unusedDosesReturned: 1);
        Assert.Equal(8, overused.Taken);
        Assert.Equal(3, overused.ExtraDoses);
        Assert.Throws<ArgumentOutOfRangeException>(() => Adherence.FromPillCount(Lsd.Dosing, 1, 15, 12, 13));
    }

    [Fact]
    public void No_doses_scheduled_yet_gives_no_rate_rather_than_a_division_by_zero()
    {
        var result = Adherence.FromDiary(Psilocybin.Dosing, 0, new Dictionary<int, bool>());
        Assert.Null(result.Rate);
        Assert.False(result.BelowThreshold);
        Assert.Equal("n/a", result.Percent);
    }

    [Fact]
    public void Stratification_levels_come_from_the_baseline_score_band_or_the_participants_sex()
    {
        var severity = StratificationCapture.Capture(Psilocybin, new Dictionary<string, string>(), new Dictionary<string, string?>(), new Dictionary<(string, string), string> { [("DEP9", "total")] = "moderately_severe" });
        Assert.True(severity.IsComplete);
        Assert.Equal([new StratumLevel("baseline_severity", "moderately_severe")], severity.Levels);

        var notYet = StratificationCapture.Capture(Psilocybin, new Dictionary<string, string>(), new Dictionary<string, string?>(), new Dictionary<(string, string), string>());
        Assert.False(notYet.IsComplete);
        Assert.Single(notYet.Missing);

        var outOfRange = StratificationCapture.Capture(Psilocybin, new Dictionary<string, string>(), new Dictionary<string, string?>(), new Dictionary<(string, string), string> { [("DEP9", "total")] = "severe" });
        Assert.False(outOfRange.IsComplete);

        var sex = StratificationCapture.Capture(Lsd, new Dictionary<string, string> { [ParticipantAttributes.Sex] = "female" }, new Dictionary<string, string?>(), new Dictionary<(string, string), string>());
        Assert.Equal([new StratumLevel("sex", "female")], sex.Levels);
    }
}
