using TrialManager.Domain.Protocols;

namespace TrialManager.Domain.Participants;

/// <summary>
/// Adherence = doses taken / doses the regimen scheduled over the same days. Below <see cref="Threshold"/> the
/// participant is flagged. Doses reported on days that are not dosing days do not count as taken; they are reported
/// apart, because extra doses of a psychedelic microdose are a safety matter, not good adherence.
/// </summary>
public sealed record AdherenceResult(int Scheduled, int Taken, int ExtraDoses, double? Rate)
{
    public const double Threshold = 0.80;

    public bool BelowThreshold => Rate is { } rate && rate < Threshold;

    public string Percent => Rate is { } rate ? $"{Math.Round(rate * 100, MidpointRounding.AwayFromZero):0} %" : "n/a";
}

public static class Adherence
{
    /// <summary>From the participant's diary: for each study day reported, whether a dose was taken.</summary>
    public static AdherenceResult FromDiary(DosingRegimen regimen, int throughStudyDay, IReadOnlyDictionary<int, bool> tookDoseOnDay)
    {
        var scheduled = regimen.ScheduledDoses(regimen.StartDay, throughStudyDay);
        var taken = 0;
        var extra = 0;
        foreach (var (day, took) in tookDoseOnDay)
        {
            if (!took || day > throughStudyDay)
            {
                continue;
            }

            if (regimen.IsDosingDay(day))
            {
                taken++;
            }
            else
            {
                extra++;
            }
        }

        return new AdherenceResult(scheduled, taken, extra, scheduled == 0 ? null : (double)taken / scheduled);
    }

    /// <summary>
    /// From a returned kit's count: doses used = doses handed out − unused doses brought back, over the days between
    /// dispensing and return. More doses used than scheduled shows as extra doses, not as adherence above 100 %.
    /// </summary>
    /// <summary>
    /// A returned kit's pill count in the site's calendar: from the dispensing day (not before dosing starts) to the day
    /// before its return, with the unused units brought back converted to doses (never more than the kit held).
    /// </summary>
    public static AdherenceResult FromReturnedKit(DosingRegimen regimen, KitDefinition kits, DateOnly randomizedOn, DateOnly dispensedOn, DateOnly returnedOn, int unusedUnitsReturned)
    {
        var from = VisitSchedule.StudyDay(randomizedOn, dispensedOn);
        var to = VisitSchedule.StudyDay(randomizedOn, returnedOn);
        var unusedDoses = unusedUnitsReturned * kits.DosesPerKit / kits.UnitsPerKit;
        return FromPillCount(regimen, Math.Max(from, regimen.StartDay), Math.Max(to, from + 1), kits.DosesPerKit, Math.Min(unusedDoses, kits.DosesPerKit));
    }

    public static AdherenceResult FromPillCount(DosingRegimen regimen, int dispensedOnStudyDay, int returnedOnStudyDay, int dosesDispensed, int unusedDosesReturned)
    {
        if (unusedDosesReturned < 0 || unusedDosesReturned > dosesDispensed)
        {
            throw new ArgumentOutOfRangeException(nameof(unusedDosesReturned), "Unused doses must be between 0 and the doses dispensed.");
        }

        var scheduled = regimen.ScheduledDoses(dispensedOnStudyDay, returnedOnStudyDay - 1);
        var used = dosesDispensed - unusedDosesReturned;
        var taken = Math.Min(used, scheduled);
        return new AdherenceResult(scheduled, taken, used - taken, scheduled == 0 ? null : (double)taken / scheduled);
    }
}
