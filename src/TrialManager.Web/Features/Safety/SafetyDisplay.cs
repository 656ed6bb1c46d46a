using System.Globalization;
using TrialManager.Domain.Safety;

namespace TrialManager.Web.Features.Safety;

/// <summary>How safety times and states are shown: site-local time with the zone, and UTC beside it.</summary>
public static class SafetyDisplay
{
    public static string Local(DateTimeOffset instant, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(instant, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " " + Abbreviation(instant, zone);

    /// <summary>A deadline: "end of 2026-12-06 (UTC-05:00)" for a calendar-day clock (due at local midnight), else the local time.</summary>
    public static string Due(DateTimeOffset due, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(due, zone);
        return local.TimeOfDay == TimeSpan.Zero
            ? "end of " + local.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + " (" + Abbreviation(due.AddTicks(-1), zone) + ")"
            : Local(due, zone);
    }

    public static string Utc(DateTimeOffset instant) => Documents.DocumentSections.Utc(instant);

    public static string Date(DateOnly? date) => date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "";

    public static string Badge(ClockState state) => state switch
    {
        ClockState.Overdue or ClockState.MetLate => "text-bg-danger",
        ClockState.DueSoon => "text-bg-warning",
        ClockState.Met => "text-bg-success",
        _ => "text-bg-info",
    };

    /// <summary>The offset from UTC at that instant (e.g. UTC-05:00), since zone abbreviations are not portable.</summary>
    private static string Abbreviation(DateTimeOffset instant, TimeZoneInfo zone)
    {
        var offset = zone.GetUtcOffset(instant);
        return "UTC" + (offset < TimeSpan.Zero ? "-" : "+") + offset.ToString("hh\\:mm", CultureInfo.InvariantCulture);
    }
}
