using System.Globalization;

namespace TrialManager.Domain.Protocols;

internal sealed partial class ProtocolMapper
{
    private static readonly string[] VisitKeys =
        ["code", "name", "kind", "day", "window_before_days", "window_after_days", "forms", "dispenses_kit"];

    private static readonly string[] DosingKeys = ["dose", "pattern", "start_day", "duration_days"];
    private static readonly string[] DoseKeys = ["amount", "unit"];
    private static readonly string[] PatternKeys = ["kind", "interval_days", "days_on", "days_off"];

    private static readonly Dictionary<string, VisitKind> VisitKinds = new(StringComparer.Ordinal)
    {
        ["screening"] = VisitKind.Screening,
        ["randomization"] = VisitKind.Randomization,
        ["treatment"] = VisitKind.Treatment,
        ["follow_up"] = VisitKind.FollowUp,
    };

    private List<Visit>? MapVisits(YamlMap root, IReadOnlyList<FormDefinition>? forms)
    {
        var before = errors.Count;
        var visits = new List<Visit>();
        var items = new List<YamlMap>();
        var coded = new List<(string?, YamlMap)>();
        foreach (var item in root.Items("visits", VisitKeys, minCount: 2))
        {
            var code = item.Code("code");
            coded.Add((code, item));
            var formCodes = new List<string>();
            foreach (var (form, node, path) in item.Scalars("forms", "form codes", minCount: 0))
            {
                if (formCodes.Contains(form, StringComparer.Ordinal))
                {
                    errors.Add(node, path, $"Form '{form}' is listed twice for this visit; list it once.");
                }
                else if (forms is null || IsDefined(form, node, path, [.. forms.Select(f => f.Code)], "Form"))
                {
                    formCodes.Add(form);
                }
            }

            var visit = new Visit(
                code ?? "",
                item.Text("name") ?? "",
                item.OneOf("kind", VisitKinds) ?? VisitKind.Treatment,
                item.Integer("day", -365, 3650) ?? 0,
                item.Integer("window_before_days", 0, 365) ?? 0,
                item.Integer("window_after_days", 0, 365) ?? 0,
                formCodes,
                item.Flag("dispenses_kit", false) ?? false,
                AssessesBlinding: false);
            visits.Add(visit);
            items.Add(item);
        }

        RequireUnique(coded, "visit");
        if (errors.Count == before)
        {
            CheckVisitSchedule(root, visits, items);
        }

        return errors.Count == before ? visits : null;
    }

    /// <summary>
    /// One screening visit first, before day 0; one randomization visit at day 0 that dispenses the first kit;
    /// treatment visits after it and follow-up visits last; listed in day order with windows that do not overlap,
    /// so every date belongs to at most one visit.
    /// </summary>
    private void CheckVisitSchedule(YamlMap root, List<Visit> visits, List<YamlMap> items)
    {
        var screenings = visits.Count(v => v.Kind == VisitKind.Screening);
        var randomizations = visits.Count(v => v.Kind == VisitKind.Randomization);
        if (screenings != 1 || visits[0].Kind != VisitKind.Screening)
        {
            root.Error("visits", $"The schedule needs exactly one screening visit, listed first (found {screenings}); add 'kind: screening' to the first visit.");
        }

        if (randomizations != 1)
        {
            root.Error("visits", $"The schedule needs exactly one visit with 'kind: randomization' (found {randomizations}); it is day 0.");
        }

        for (var i = 0; i < visits.Count; i++)
        {
            var visit = visits[i];
            var item = items[i];
            switch (visit.Kind)
            {
                case VisitKind.Screening when visit.Day >= 0:
                    item.Error("day", $"Screening happens before randomization: give a negative day, e.g. -14 (found {visit.Day}).");
                    break;
                case VisitKind.Screening when visit.DispensesKit:
                    item.Error("dispenses_kit", "A screening visit cannot dispense a kit: nobody has an arm before randomization.");
                    break;
                case VisitKind.Randomization when visit.Day != 0:
                    item.Error("day", $"The randomization visit defines day 0; set 'day: 0' (found {visit.Day}).");
                    break;
                case VisitKind.Randomization when visit.WindowBeforeDays != 0 || visit.WindowAfterDays != 0:
                    item.Error(visit.WindowBeforeDays != 0 ? "window_before_days" : "window_after_days", "The randomization visit defines day 0, so it has no window; set both windows to 0.");
                    break;
                case VisitKind.Randomization when !visit.DispensesKit:
                    item.Error("dispenses_kit", "The randomization visit must dispense a kit (set 'dispenses_kit: true'): randomization assigns one from the site's stock.");
                    break;
                case VisitKind.Treatment or VisitKind.FollowUp when visit.Day <= 0:
                    item.Error("day", $"{visit.Code} is a {KindWord(visit.Kind)} visit, so it comes after randomization: give a day after 0 (found {visit.Day}).");
                    break;
                case VisitKind.Treatment when visits.Take(i).Any(v => v.Kind == VisitKind.FollowUp):
                    item.Error("kind", $"Treatment visit {visit.Code} is listed after a follow-up visit; follow-up visits come last.");
                    break;
            }

            if (i == 0)
            {
                continue;
            }

            var previous = visits[i - 1];
            if (visit.Day <= previous.Day)
            {
                item.Error("day", $"Visits must be listed in day order: {visit.Code} (day {visit.Day}) follows {previous.Code} (day {previous.Day}).");
            }
            else if (visit.EarliestDay <= previous.LatestDay)
            {
                var room = visit.Day - previous.LatestDay - 1;
                item.Error("window_before_days", $"The window of {visit.Code} (days {visit.EarliestDay} to {visit.LatestDay}) overlaps the window of {previous.Code} (days {previous.EarliestDay} to {previous.LatestDay}); make window_before_days at most {Math.Max(room, 0)} or shorten the window_after_days of {previous.Code}.");
            }
        }
    }

    private static string KindWord(VisitKind kind) => kind == VisitKind.FollowUp ? "follow-up" : "treatment";

    private DosingRegimen? MapDosing(YamlMap root, IReadOnlyList<Visit>? visits)
    {
        var before = errors.Count;
        var map = root.Map("dosing", DosingKeys);
        if (map is null)
        {
            return null;
        }

        var doseMap = map.Map("dose", DoseKeys);
        var amount = doseMap?.Number("amount");
        if (amount <= 0)
        {
            doseMap!.Error("amount", $"A dose must be more than 0 (found {amount.Value.ToString(CultureInfo.InvariantCulture)}); placebo is expressed by the arm, not the dose.");
        }

        var dose = new Dose(amount ?? 0, doseMap?.Text("unit", 30) ?? "");
        var pattern = MapDosingPattern(map);
        var regimen = new DosingRegimen(dose, pattern ?? new EveryNthDay(1), map.Integer("start_day", 0, 365) ?? 0, map.Integer("duration_days", 1, 3650) ?? 1);

        var lastVisit = visits?.MaxBy(v => v.Day);
        if (errors.Count == before && lastVisit is not null && regimen.LastDay > lastVisit.Day)
        {
            map.Error("duration_days", $"Dosing runs to day {regimen.LastDay}, after the last visit {lastVisit.Code} (day {lastVisit.Day}); shorten duration_days to at most {lastVisit.Day - regimen.StartDay + 1} or add a later visit so the last kit is returned.");
        }

        return errors.Count == before ? regimen : null;
    }

    private DosingPattern? MapDosingPattern(YamlMap dosing)
    {
        var map = dosing.Map("pattern", PatternKeys);
        var kind = map?.Word("kind", ["every_nth_day", "on_off_cycle"]);
        if (map is null || kind is null)
        {
            return null;
        }

        var (own, foreign) = kind == "every_nth_day"
            ? (new[] { "interval_days" }, new[] { "days_on", "days_off" })
            : (["days_on", "days_off"], ["interval_days"]);
        foreach (var key in foreign.Where(map.Has))
        {
            map.Error(key, $"'{key}' does not apply to kind {kind}; it takes {string.Join(" and ", own)}.");
        }

        if (kind == "every_nth_day")
        {
            return map.Integer("interval_days", 1, 365) is { } interval ? new EveryNthDay(interval) : null;
        }

        var on = map.Integer("days_on", 1, 365);
        var off = map.Integer("days_off", 1, 365);
        return on is not null && off is not null ? new OnOffCycle(on.Value, off.Value) : null;
    }
}
