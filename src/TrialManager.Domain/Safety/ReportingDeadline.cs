using TrialManager.Domain.Participants;
using TrialManager.Domain.Protocols;

namespace TrialManager.Domain.Safety;

public enum ClockState
{
    Running,
    DueSoon,
    Overdue,
    Met,
    MetLate,
}

/// <summary>
/// When a report is due. Allowances in days are calendar days counted in the site's time zone: day 0 is the
/// local date the clock started, and the report is due by the end of day N there (so a report learned of at 23:59
/// local time still has day 0 spent, and a daylight-saving change never adds or removes an hour of the last day).
/// Allowances in hours are elapsed time.
/// </summary>
public static class ReportingDeadline
{
    public static DateTimeOffset DueAt(DateTimeOffset start, ReportingAllowance allowance, TimeZoneInfo siteZone)
    {
        if (allowance.Span <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(allowance), "A reporting allowance must be positive.");
        }

        if (!allowance.CalendarDays)
        {
            return start + allowance.Span;
        }

        var dayZero = SiteCalendar.LocalDate(start, siteZone);
        return StartOfLocalDay(dayZero.AddDays((int)Math.Ceiling(allowance.Span.TotalDays) + 1), siteZone);
    }

    /// <summary>The first instant of a local date: midnight, or the first valid time after a gap at midnight.</summary>
    public static DateTimeOffset StartOfLocalDay(DateOnly date, TimeZoneInfo zone)
    {
        // A gap at midnight: the day starts at the first valid quarter hour. A midnight that happens twice: the first.
        var local = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        DateTimeOffset? start;
        while ((start = SiteCalendar.Instant(local, zone)) is null)
        {
            local = local.AddMinutes(15);
        }

        return start.Value;
    }

    /// <summary>Due soon once three quarters of the allowance is spent (six hours of a 24-hour clock, under two days of seven).</summary>
    public static ClockState State(DateTimeOffset start, DateTimeOffset due, DateTimeOffset? metAt, DateTimeOffset now)
    {
        if (metAt is { } met)
        {
            return met <= due ? ClockState.Met : ClockState.MetLate;
        }

        if (now > due)
        {
            return ClockState.Overdue;
        }

        var quarter = TimeSpan.FromTicks((due - start).Ticks / 4);
        return due - now <= quarter ? ClockState.DueSoon : ClockState.Running;
    }

    public static string Describe(this ClockState state) => state switch
    {
        ClockState.Running => "Running",
        ClockState.DueSoon => "Due soon",
        ClockState.Overdue => "Overdue",
        ClockState.Met => "Met",
        _ => "Met late",
    };
}
