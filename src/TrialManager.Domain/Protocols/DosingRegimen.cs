using System.Text.Json.Serialization;

namespace TrialManager.Domain.Protocols;

/// <summary>
/// When a participant takes a dose. Study days count from randomization (day 0); the regimen runs from
/// <see cref="StartDay"/> for <see cref="DurationDays"/> days, and its pattern picks the dosing days within it.
/// </summary>
public sealed record DosingRegimen(Dose Dose, DosingPattern Pattern, int StartDay, int DurationDays)
{
    public int LastDay => StartDay + DurationDays - 1;

    public bool IsDosingDay(int studyDay) =>
        studyDay >= StartDay && studyDay <= LastDay && Pattern.IsDosingDay(studyDay - StartDay);

    /// <summary>Doses scheduled from <paramref name="fromDay"/> to <paramref name="toDay"/>, both included; the denominator of adherence.</summary>
    public int ScheduledDoses(int fromDay, int toDay)
    {
        var first = Math.Max(fromDay, StartDay);
        var last = Math.Min(toDay, LastDay);
        var count = 0;
        for (var day = first; day <= last; day++)
        {
            if (Pattern.IsDosingDay(day - StartDay))
            {
                count++;
            }
        }

        return count;
    }

    public int TotalDoses => ScheduledDoses(StartDay, LastDay);
}

/// <summary>What one administration is, as the participant sees it (e.g. 1 capsule); the active content is sealed in the arm.</summary>
public sealed record Dose(decimal Amount, string Unit);

[JsonPolymorphic(TypeDiscriminatorPropertyName = "pattern")]
[JsonDerivedType(typeof(EveryNthDay), "every_nth_day")]
[JsonDerivedType(typeof(OnOffCycle), "on_off_cycle")]
public abstract record DosingPattern
{
    /// <summary>Whether the regimen's day <paramref name="regimenDay"/> (0 = its first day) is a dosing day.</summary>
    public abstract bool IsDosingDay(int regimenDay);
}

/// <summary>One dose, then <c>IntervalDays - 1</c> days off: an interval of 3 is "every third day".</summary>
public sealed record EveryNthDay(int IntervalDays) : DosingPattern
{
    public override bool IsDosingDay(int regimenDay) => regimenDay >= 0 && regimenDay % IntervalDays == 0;
}

/// <summary>Repeating cycles of dosing days followed by rest days, e.g. four on, three off.</summary>
public sealed record OnOffCycle(int DaysOn, int DaysOff) : DosingPattern
{
    public override bool IsDosingDay(int regimenDay) => regimenDay >= 0 && regimenDay % (DaysOn + DaysOff) < DaysOn;
}
