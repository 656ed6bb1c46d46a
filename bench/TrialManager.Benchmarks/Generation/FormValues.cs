using System.Globalization;
using TrialManager.Domain.Protocols;

namespace TrialManager.Benchmarks.Generation;

/// <summary>A participant's own baseline, so their forms tell one consistent story from visit to visit.</summary>
internal sealed record ParticipantProfile(
    string Sex,
    int Age,
    string? Initials,
    int DepressionBaseline,
    int DepressionResponse,
    int AnxietyBaseline,
    int AnxietyResponse,
    int Systolic,
    int Diastolic,
    int HeartRate,
    decimal Temperature,
    decimal Weight)
{
    public static ParticipantProfile Draw(Random random, int depressionBaseline)
    {
        var female = random.NextDouble() < 0.6;
        var systolic = random.Next(105, 146);
        return new ParticipantProfile(
            female ? "female" : "male",
            random.Next(21, 66),
            random.NextDouble() < 0.8 ? Letters(random, random.Next(2, 4)) : null,
            depressionBaseline,
            random.Next(0, 10),
            random.Next(4, 16),
            random.Next(0, 8),
            systolic,
            Math.Min(systolic - 25, random.Next(62, 91)),
            random.Next(58, 92),
            36.2m + (random.Next(0, 9) / 10m),
            female ? random.Next(50, 96) : random.Next(62, 116));
    }

    private static string Letters(Random random, int count) => string.Concat(Enumerable.Range(0, count).Select(_ => (char)('A' + random.Next(26))));
}

/// <summary>
/// Case report form values that pass the protocol's own validation: scale items that sum to the intended total,
/// vital signs in range with systolic above diastolic, adherence answers that agree with the diary and the kit.
/// The shipped protocol has hard ranges only (no soft checks), so every value is in range; a few vital signs are
/// clinically notable but valid, which is what data queries are raised on.
/// </summary>
internal static class FormValues
{
    public const string Depression = "DEP9";
    public const string Anxiety = "ANX7";
    public const string VitalSigns = "VITALS";
    public const string Adherence = "ADHERENCE";

    public static bool IsKnown(string formCode) => formCode is Depression or Anxiety or VitalSigns or Adherence;

    /// <summary>Items of a summed rating scale (each a numeric choice) that add up to <paramref name="total"/>.</summary>
    public static Dictionary<string, string?> RatingScale(FormDefinition form, int total, Random random)
    {
        var items = form.Fields.Where(f => f.HasNumericChoices).ToList();
        var ceilings = items.Select(f => f.Choices.Max(c => int.Parse(c.Code, CultureInfo.InvariantCulture))).ToArray();
        var levels = new int[items.Count];
        var remaining = Math.Clamp(total, 0, ceilings.Sum());
        while (remaining > 0)
        {
            var i = random.Next(items.Count);
            if (levels[i] < ceilings[i])
            {
                levels[i]++;
                remaining--;
            }
        }

        return items.Select((f, i) => (f.Code, Value: levels[i].ToString(CultureInfo.InvariantCulture))).ToDictionary(x => x.Code, x => (string?)x.Value, StringComparer.Ordinal);
    }

    /// <param name="notable">A high reading (still in range) that a data manager is likely to query.</param>
    public static Dictionary<string, string?> Vitals(ParticipantProfile profile, Random random, bool notable)
    {
        var systolic = notable ? random.Next(160, 179) : profile.Systolic + random.Next(-8, 9);
        var diastolic = notable ? random.Next(95, 106) : profile.Diastolic + random.Next(-6, 7);
        var values = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["systolic"] = systolic.ToString(CultureInfo.InvariantCulture),
            ["diastolic"] = Math.Min(diastolic, systolic - 15).ToString(CultureInfo.InvariantCulture),
            ["heart_rate"] = (profile.HeartRate + random.Next(-7, 8)).ToString(CultureInfo.InvariantCulture),
            ["new_murmur"] = YesNo.No,
        };

        // The optional fields are sometimes left empty, as on real forms.
        if (random.NextDouble() < 0.9)
        {
            values["temperature"] = (profile.Temperature + (random.Next(-3, 4) / 10m)).ToString("0.0", CultureInfo.InvariantCulture);
        }

        if (random.NextDouble() < 0.95)
        {
            values["weight"] = (profile.Weight + (random.Next(-15, 16) / 10m)).ToString("0.0", CultureInfo.InvariantCulture);
        }

        return values;
    }

    /// <summary>The kit return form: what came back unused, when the last dose was taken, and why doses were missed.</summary>
    public static Dictionary<string, string?> KitReturn(string kitCode, int unusedUnits, DateOnly? lastDose, DateOnly returnedOn, string? missedReason)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["kit_code"] = kitCode,
            ["capsules_returned"] = unusedUnits.ToString(CultureInfo.InvariantCulture),
            ["return_date"] = Iso(returnedOn),
            ["doses_missed"] = YesNo.Format(missedReason is not null),
        };
        if (lastDose is { } last)
        {
            values["last_dose_date"] = Iso(last);
        }

        if (missedReason is not null)
        {
            values["missed_reason"] = missedReason;
        }

        return values;
    }

    public static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
