using System.Globalization;
using System.Text.RegularExpressions;
using TrialManager.Domain.Access;

namespace TrialManager.Domain.Protocols;

internal sealed partial class ProtocolMapper
{
    private static readonly string[] SafetyKeys =
        ["ctcae_version", "seriousness_criteria", "special_interest_events", "expected_events", "reporting_clocks", "code_break_roles"];

    private static readonly string[] SpecialInterestKeys = ["code", "term"];
    private static readonly string[] BlindingKeys = ["visits", "respondents", "guesses"];
    private static readonly string[] GuessKeys = ["code", "label", "arms"];
    private static readonly string[] CtcaeVersions = ["4.03", "5.0", "6.0"];

    /// <summary>Only those who may ever see an arm; the administrator and blinded staff never may (see DESIGN.md).</summary>
    private static readonly string[] CodeBreakRoles = [TrialRoles.Investigator, TrialRoles.SafetyOfficer];

    /// <summary>The longest each clock may run under ICH E2A and E6; a protocol may be stricter, never looser.</summary>
    private static readonly (string Key, TimeSpan Limit)[] Clocks =
    [
        ("site_to_sponsor", TimeSpan.FromHours(24)),
        ("susar_fatal_or_life_threatening", TimeSpan.FromDays(7)),
        ("susar_other", TimeSpan.FromDays(15)),
        ("follow_up", TimeSpan.FromDays(15)),
    ];

    private static readonly Dictionary<string, BlindingRespondent> Respondents = new(StringComparer.Ordinal)
    {
        ["participant"] = BlindingRespondent.Participant,
        ["investigator"] = BlindingRespondent.Investigator,
        ["site_coordinator"] = BlindingRespondent.SiteCoordinator,
        ["outcome_assessor"] = BlindingRespondent.OutcomeAssessor,
    };

    private SafetyRules? MapSafety(YamlMap root)
    {
        var before = errors.Count;
        var map = root.Map("safety", SafetyKeys);
        if (map is null)
        {
            return null;
        }

        var ctcae = map.Word("ctcae_version", CtcaeVersions);
        var seriousness = MapChoiceList(map, "seriousness_criteria");

        var specialInterest = new List<SpecialInterestEvent>();
        var coded = new List<(string?, YamlMap)>();
        foreach (var item in map.Items("special_interest_events", SpecialInterestKeys, minCount: 0))
        {
            var code = item.Code("code");
            coded.Add((code, item));
            specialInterest.Add(new SpecialInterestEvent(code ?? "", item.Text("term") ?? ""));
        }

        RequireUnique(coded, "event of special interest");

        var expected = new List<string>();
        foreach (var (term, node, path) in map.Scalars("expected_events", "event terms", minCount: 0))
        {
            if (expected.Contains(term, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add(node, path, $"'{YamlMap.Shorten(term)}' is listed twice; list each expected event once.");
            }
            else
            {
                expected.Add(term);
            }
        }

        var clocks = MapReportingClocks(map);
        var roles = new List<string>();
        foreach (var (role, node, path) in map.Scalars("code_break_roles", "role names", minCount: 0))
        {
            if (!CodeBreakRoles.Contains(role, StringComparer.Ordinal))
            {
                errors.Add(node, path, $"'{YamlMap.Shorten(role)}' may not break the code; only {string.Join(" or ", CodeBreakRoles)} may ever see an arm.");
            }
            else if (!roles.Contains(role))
            {
                roles.Add(role);
            }
        }

        var rules = new SafetyRules(ctcae ?? "", seriousness, specialInterest, expected, clocks!, roles.Count > 0 ? roles : [TrialRoles.Investigator]);
        return errors.Count == before && clocks is not null ? rules : null;
    }

    private ReportingClocks? MapReportingClocks(YamlMap safety)
    {
        var map = safety.Map("reporting_clocks", [.. Clocks.Select(c => c.Key)]);
        if (map is null)
        {
            return null;
        }

        var spans = new List<ReportingAllowance?>();
        foreach (var (key, limit) in Clocks)
        {
            var text = map.Text(key, 10);
            var match = text is null ? null : DurationPattern().Match(text);
            ReportingAllowance? span = null;
            if (match is { Success: true })
            {
                var amount = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
                span = match.Groups[2].Value == "h" ? ReportingAllowance.Hours(amount) : ReportingAllowance.Days(amount);
            }

            if (text is not null && match is not { Success: true })
            {
                map.Error(key, $"'{text}' is not a duration: write hours or days such as 24h or 7d.");
            }
            else if (span is { } s && (s.Span <= TimeSpan.Zero || s.Span > limit))
            {
                map.Error(key, $"{key} is {text}; it must be more than 0 and at most {Describe(limit)}.");
                span = null;
            }

            spans.Add(span);
        }

        return spans.All(s => s is not null) ? new ReportingClocks(spans[0]!, spans[1]!, spans[2]!, spans[3]!) : null;
    }

    private static string Describe(TimeSpan limit) =>
        limit.TotalHours <= 24 ? $"{limit.TotalHours}h" : $"{limit.TotalDays}d";

    private BlindingAssessment? MapBlindingAssessment(YamlMap root, IReadOnlyList<Visit>? visits, IReadOnlyList<Arm>? arms)
    {
        var before = errors.Count;
        var map = root.Map("blinding_assessment", BlindingKeys);
        if (map is null)
        {
            return null;
        }

        var visitCodes = new List<string>();
        foreach (var (code, node, path) in map.Scalars("visits", "visit codes"))
        {
            if (visits is null || !IsDefined(code, node, path, [.. visits.Select(v => v.Code)], "Visit"))
            {
                continue;
            }

            if (visits.First(v => v.Code == code).Kind is VisitKind.Screening or VisitKind.Randomization)
            {
                errors.Add(node, path, $"Visit {code} is before any dose, so there is nothing to guess yet; ask at a treatment or follow-up visit.");
            }
            else if (!visitCodes.Contains(code))
            {
                visitCodes.Add(code);
            }
        }

        var respondents = new List<BlindingRespondent>();
        foreach (var (word, node, path) in map.Scalars("respondents", "respondent kinds"))
        {
            if (IsDefined(word, node, path, [.. Respondents.Keys], "Respondent kind") && !respondents.Contains(Respondents[word]))
            {
                respondents.Add(Respondents[word]);
            }
        }

        var guesses = MapGuesses(map, arms);
        return errors.Count == before ? new BlindingAssessment(visitCodes, respondents, guesses) : null;
    }

    /// <summary>Each arm must be named by exactly one guess, so every answer can be scored as right or wrong.</summary>
    private List<BlindingGuess> MapGuesses(YamlMap blinding, IReadOnlyList<Arm>? arms)
    {
        var guesses = new List<BlindingGuess>();
        var coded = new List<(string?, YamlMap)>();
        var named = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in blinding.Items("guesses", GuessKeys, minCount: 2))
        {
            var code = item.Code("code");
            coded.Add((code, item));
            var guessArms = new List<string>();
            foreach (var (arm, node, path) in item.Scalars("arms", "arm codes", minCount: 0))
            {
                if (arms is not null && !IsDefined(arm, node, path, [.. arms.Select(a => a.Code)], "Arm"))
                {
                    continue;
                }

                if (named.TryGetValue(arm, out var other))
                {
                    errors.Add(node, path, $"Arm {arm} is already named by guess {other}; each arm belongs to one guess.");
                    continue;
                }

                named[arm] = code ?? "";
                guessArms.Add(arm);
            }

            guesses.Add(new BlindingGuess(code ?? "", item.Text("label") ?? "", guessArms));
        }

        RequireUnique(coded, "guess");
        var unnamed = arms?.Where(a => !named.ContainsKey(a.Code)).Select(a => a.Code).ToList() ?? [];
        if (unnamed.Count > 0 && guesses.Count > 0)
        {
            blinding.Error("guesses", $"No guess names arm {string.Join(", ", unnamed)}; add it to the arms of the guess that means it.");
        }

        return guesses;
    }

    [GeneratedRegex(@"^([0-9]{1,4})(h|d)\z")]
    private static partial Regex DurationPattern();
}
