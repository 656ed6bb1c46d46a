using TrialManager.Domain.Protocols;

namespace TrialManager.Domain.Participants;

/// <summary>A protocol visit placed on a participant's calendar: its target date and the window it may happen in.</summary>
public sealed record ScheduledVisit(Visit Visit, DateOnly Target, DateOnly Earliest, DateOnly Latest)
{
    public bool IsInWindow(DateOnly date) => date >= Earliest && date <= Latest;
}

public enum VisitStatus
{
    /// <summary>Its window has not opened yet.</summary>
    Upcoming,

    /// <summary>Its window is open today.</summary>
    Due,

    /// <summary>Its window has closed and it was neither done nor marked missed.</summary>
    Overdue,

    Done,

    /// <summary>Done, but outside its window: a protocol deviation.</summary>
    DoneOutOfWindow,

    /// <summary>Recorded as not done.</summary>
    Missed,
}

/// <summary>
/// The visit calendar of a randomized participant. Study day 0 is the randomization date; dates are the site's local
/// calendar dates (see <see cref="SiteCalendar"/>), so "today" and the windows agree with the people at the site.
/// </summary>
public static class VisitSchedule
{
    /// <summary>Every visit from randomization on (screening happened before and is not scheduled from this date).</summary>
    public static IReadOnlyList<ScheduledVisit> FromRandomization(Protocol protocol, DateOnly randomizedOn) =>
        [.. protocol.Visits
            .Where(v => v.Kind != VisitKind.Screening)
            .OrderBy(v => v.Day)
            .Select(v => new ScheduledVisit(v, randomizedOn.AddDays(v.Day), randomizedOn.AddDays(v.EarliestDay), randomizedOn.AddDays(v.LatestDay)))];

    public static VisitStatus StatusOf(ScheduledVisit visit, DateOnly today, DateOnly? doneOn, bool markedMissed)
    {
        if (doneOn is { } done)
        {
            return visit.IsInWindow(done) ? VisitStatus.Done : VisitStatus.DoneOutOfWindow;
        }

        if (markedMissed)
        {
            return VisitStatus.Missed;
        }

        return today < visit.Earliest ? VisitStatus.Upcoming
            : today <= visit.Latest ? VisitStatus.Due
            : VisitStatus.Overdue;
    }

    /// <summary>
    /// Every scheduled visit with its status today, given what was recorded for each visit code. The randomization
    /// visit is done on its own date by definition.
    /// </summary>
    public static IReadOnlyList<(ScheduledVisit Visit, VisitStatus Status)> Statuses(
        Protocol protocol, DateOnly randomizedOn, DateOnly today, Func<string, (DateOnly? DoneOn, bool Missed)> recorded) =>
        [.. FromRandomization(protocol, randomizedOn).Select(visit =>
        {
            var (doneOn, missed) = visit.Visit.Kind == VisitKind.Randomization ? (visit.Target, false) : recorded(visit.Visit.Code);
            return (visit, StatusOf(visit, today, doneOn, missed));
        })];

    /// <summary>The study day of a date (0 on the randomization date, negative before it).</summary>
    public static int StudyDay(DateOnly randomizedOn, DateOnly date) => date.DayNumber - randomizedOn.DayNumber;
}

/// <summary>Local calendar dates at a site, from an instant and the site's time zone (daylight saving included).</summary>
public static class SiteCalendar
{
    public static DateOnly LocalDate(DateTimeOffset instant, TimeZoneInfo siteZone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, siteZone).DateTime);

    /// <summary>
    /// The instant a local wall-clock time at the site stands for: null for a time skipped by a daylight-saving change;
    /// for a time that happens twice, the first (the larger offset), so a clock started from it never gains an hour.
    /// </summary>
    public static DateTimeOffset? Instant(DateTime local, TimeZoneInfo siteZone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (siteZone.IsInvalidTime(local))
        {
            return null;
        }

        var offset = siteZone.IsAmbiguousTime(local) ? siteZone.GetAmbiguousTimeOffsets(local).Max() : siteZone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }
}
