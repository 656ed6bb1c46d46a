using TrialManager.Domain.Protocols;
using TrialManager.Domain.Safety;

namespace TrialManager.Domain.Tests.Safety;

public class ReportingDeadlineTests
{
    private static readonly TimeZoneInfo Boston = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    private static readonly TimeZoneInfo London = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");

    private static DateTimeOffset Utc(int y, int mo, int d, int h, int mi = 0) => new(y, mo, d, h, mi, 0, TimeSpan.Zero);

    [Fact]
    public void An_hours_clock_is_elapsed_time_even_across_a_spring_forward()
    {
        // Saturday 7 March 2026, 10:00 EST; the clocks go forward at 02:00 on Sunday the 8th.
        var start = Utc(2026, 3, 7, 15);
        var due = ReportingDeadline.DueAt(start, ReportingAllowance.Hours(24), Boston);
        Assert.Equal(TimeSpan.FromHours(24), due - start);
        Assert.Equal(11, TimeZoneInfo.ConvertTime(due, Boston).Hour);
    }

    [Fact]
    public void A_days_clock_ends_at_local_midnight_across_the_daylight_saving_weekend()
    {
        // Day 0 is Friday 6 March (14:00 EST); 7 calendar days ends with Friday 13 March, i.e. at 00:00 EDT on the 14th.
        var due = ReportingDeadline.DueAt(Utc(2026, 3, 6, 19), ReportingAllowance.Days(7), Boston);
        Assert.Equal(Utc(2026, 3, 14, 4), due);
        Assert.Equal(new DateTime(2026, 3, 14, 0, 0, 0), TimeZoneInfo.ConvertTime(due, Boston).DateTime);
    }

    [Fact]
    public void A_days_clock_across_the_autumn_change_in_london()
    {
        // Day 0 is 20 October (BST); the clocks go back on 25 October; due by the end of 27 October, GMT.
        var due = ReportingDeadline.DueAt(Utc(2026, 10, 20, 9), ReportingAllowance.Days(7), London);
        Assert.Equal(Utc(2026, 10, 28, 0), due);
    }

    [Fact]
    public void A_report_at_23_59_local_counts_that_day_as_day_0_not_the_utc_date()
    {
        // 23:59 EST on 20 November is 04:59 UTC on the 21st; day 0 is the 20th at the site.
        var start = Utc(2026, 11, 21, 4, 59);
        var due = ReportingDeadline.DueAt(start, ReportingAllowance.Days(15), Boston);
        Assert.Equal(Utc(2026, 12, 6, 5), due);
        Assert.Equal(new DateTime(2026, 12, 6, 0, 0, 0), TimeZoneInfo.ConvertTime(due, Boston).DateTime);
    }

    [Fact]
    public void A_report_at_00_01_local_gets_the_whole_of_day_0_too()
    {
        var due = ReportingDeadline.DueAt(Utc(2026, 11, 21, 5, 1), ReportingAllowance.Days(7), Boston);
        Assert.Equal(Utc(2026, 11, 29, 5), due);
    }

    [Fact]
    public void A_day_that_starts_after_a_gap_at_midnight_starts_at_the_first_valid_minute()
    {
        // Chile moves its clocks from 00:00 to 01:00 on the first Sunday of September.
        var santiago = TimeZoneInfo.FindSystemTimeZoneById("America/Santiago");
        var date = new DateOnly(2026, 9, 6);
        var start = ReportingDeadline.StartOfLocalDay(date, santiago);
        var local = TimeZoneInfo.ConvertTime(start, santiago);
        Assert.Equal(date, DateOnly.FromDateTime(local.DateTime));
        Assert.True(local.TimeOfDay <= TimeSpan.FromHours(1));
        Assert.True(DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(start.AddMinutes(-1), santiago).DateTime) < date);
    }

    [Theory]
    [InlineData(0, ClockState.Running)]
    [InlineData(17, ClockState.Running)]
    [InlineData(18, ClockState.DueSoon)]
    [InlineData(24, ClockState.DueSoon)]
    [InlineData(25, ClockState.Overdue)]
    public void States_of_a_24_hour_clock(int hoursLater, ClockState expected)
    {
        var start = Utc(2026, 11, 20, 0);
        Assert.Equal(expected, ReportingDeadline.State(start, start.AddHours(24), null, start.AddHours(hoursLater)));
    }

    [Fact]
    public void Met_on_time_and_met_late()
    {
        var start = Utc(2026, 11, 20, 0);
        Assert.Equal(ClockState.Met, ReportingDeadline.State(start, start.AddHours(24), start.AddHours(24), start.AddDays(9)));
        Assert.Equal(ClockState.MetLate, ReportingDeadline.State(start, start.AddHours(24), start.AddHours(24).AddMinutes(1), start.AddDays(9)));
    }

    [Fact]
    public void A_non_positive_allowance_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ReportingDeadline.DueAt(Utc(2026, 1, 1, 0), new ReportingAllowance(TimeSpan.Zero, true), London));
}
