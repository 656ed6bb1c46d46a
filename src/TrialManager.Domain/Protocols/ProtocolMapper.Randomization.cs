using System.Globalization;

namespace TrialManager.Domain.Protocols;

internal sealed partial class ProtocolMapper
{
    private static readonly string[] RandomizationKeys = ["stratify_by_site", "block_sizes", "slots_per_stratum", "factors"];
    private static readonly string[] FactorKeys = ["code", "label", "source", "levels"];
    private static readonly string[] SourceKeys = ["kind", "question", "attribute", "form", "score"];
    private static readonly string[] LevelKeys = ["code", "label", "values"];

    private RandomizationScheme? MapRandomization(
        YamlMap root,
        IReadOnlyList<Arm>? arms,
        EligibilityCriteria? eligibility,
        IReadOnlyList<FormDefinition>? forms,
        IReadOnlyList<Visit>? visits)
    {
        var before = errors.Count;
        var map = root.Map("randomization", RandomizationKeys);
        if (map is null)
        {
            return null;
        }

        var stratifyBySite = map.Flag("stratify_by_site");
        var blockSizes = MapBlockSizes(map, arms);
        var slots = map.Integer("slots_per_stratum", 1, 100_000);
        if (slots is not null && blockSizes.Count > 0 && slots < blockSizes.Max())
        {
            map.Error("slots_per_stratum", $"{slots} slots cannot hold even one block of {blockSizes.Max()}; use at least {blockSizes.Max()}.");
        }

        var factors = new List<StratificationFactor>();
        var coded = new List<(string?, YamlMap)>();
        foreach (var item in map.Items("factors", FactorKeys, minCount: 0))
        {
            var code = item.Code("code");
            coded.Add((code, item));
            var label = item.Text("label");
            var (source, sourceValues) = MapStratificationSource(item, eligibility, forms, visits);
            var levels = MapLevels(item, sourceValues);
            if (source is not null)
            {
                factors.Add(new StratificationFactor(code ?? "", label ?? "", source, levels));
            }
        }

        RequireUnique(coded, "factor");
        return errors.Count == before ? new RandomizationScheme(stratifyBySite ?? false, blockSizes, slots ?? 0, factors) : null;
    }

    /// <summary>Every block must hold each arm a whole number of times, so its size is a multiple of the ratio sum.</summary>
    private List<int> MapBlockSizes(YamlMap map, IReadOnlyList<Arm>? arms)
    {
        var sizes = new List<int>();
        var ratioSum = arms?.Sum(a => a.Ratio);
        var ratio = arms is null ? "" : string.Join(":", arms.Select(a => a.Ratio.ToString(CultureInfo.InvariantCulture)));
        foreach (var (text, node, path) in map.Scalars("block_sizes", "block sizes (whole numbers)"))
        {
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size < 2 || size > 100)
            {
                errors.Add(node, path, $"Block size '{YamlMap.Shorten(text)}' must be a whole number from 2 to 100.");
            }
            else if (ratioSum is { } sum && size % sum != 0)
            {
                errors.Add(node, path, $"Block size {size} is not a multiple of the ratio sum {sum} ({ratio}); use multiples such as {sum}, {2 * sum}, {3 * sum}.");
            }
            else if (sizes.Contains(size))
            {
                errors.Add(node, path, $"Block size {size} is listed twice; list each size once.");
            }
            else
            {
                sizes.Add(size);
            }
        }

        return sizes;
    }

    /// <summary>
    /// The factor's source and the values a participant can bring from it into randomization (null when they
    /// cannot be known), which the levels must cover, so nobody eligible is left without a stratum.
    /// </summary>
    private (StratificationSource? Source, SourceValues? Values) MapStratificationSource(
        YamlMap factor,
        EligibilityCriteria? eligibility,
        IReadOnlyList<FormDefinition>? forms,
        IReadOnlyList<Visit>? visits)
    {
        var map = factor.Map("source", SourceKeys);
        var kind = map?.Word("kind", ["screening_question", "participant_attribute", "derived_score"]);
        if (map is null || kind is null)
        {
            return (null, null);
        }

        var own = kind switch
        {
            "screening_question" => new[] { "question" },
            "participant_attribute" => ["attribute"],
            _ => ["form", "score"],
        };
        foreach (var key in SourceKeys.Skip(1).Where(k => !own.Contains(k) && map.Has(k)))
        {
            map.Error(key, $"'{key}' does not apply to kind {kind}; it takes {string.Join(" and ", own)}.");
        }

        return kind switch
        {
            "screening_question" => MapQuestionSource(map, eligibility),
            "participant_attribute" => MapAttributeSource(map),
            _ => MapScoreSource(map, eligibility, forms, visits),
        };
    }

    private (StratificationSource?, SourceValues?) MapQuestionSource(YamlMap map, EligibilityCriteria? eligibility)
    {
        var code = map.Code("question");
        if (code is null || eligibility is null)
        {
            return (null, null);
        }

        if (!IsDefined(code, map.Node("question")!, map.At("question"), [.. eligibility.Criteria.Select(c => c.Code)], "Eligibility criterion"))
        {
            return (null, null);
        }

        // Only eligible answers reach randomization, so only they need a level.
        var values = eligibility.Find(code)!.Question switch
        {
            YesNoQuestion yesNo => new SourceValues([YesNo.Yes, YesNo.No], [YesNo.Format(yesNo.EligibleAnswer)]),
            ChoiceQuestion choice => new SourceValues([.. choice.Choices.Select(c => c.Code)], choice.EligibleAnswers),
            _ => null,
        };
        if (values is null)
        {
            map.Error("question", $"Criterion {code} is answered with a number; stratify on a yes_no or choice criterion, or on a derived score.");
        }

        return (new ScreeningQuestionSource(code), values);
    }

    private (StratificationSource?, SourceValues?) MapAttributeSource(YamlMap map)
    {
        var attribute = map.Word("attribute", [.. ParticipantAttributes.Values.Keys]);
        if (attribute is null)
        {
            return (null, null);
        }

        var values = ParticipantAttributes.Values[attribute];
        return (new ParticipantAttributeSource(attribute), new SourceValues(values, values));
    }

    private (StratificationSource?, SourceValues?) MapScoreSource(
        YamlMap map,
        EligibilityCriteria? eligibility,
        IReadOnlyList<FormDefinition>? forms,
        IReadOnlyList<Visit>? visits)
    {
        var formCode = map.Code("form");
        var scoreCode = map.Code("score");
        if (formCode is null || scoreCode is null || forms is null
            || !IsDefined(formCode, map.Node("form")!, map.At("form"), [.. forms.Select(f => f.Code)], "Form"))
        {
            return (null, null);
        }

        var form = forms.First(f => f.Code == formCode);
        if (!IsDefined(scoreCode, map.Node("score")!, map.At("score"), [.. form.Scores.Select(s => s.Code)], $"Score of form {formCode}"))
        {
            return (null, null);
        }

        var collectedBefore = visits?.Where(v => v.Kind is VisitKind.Screening or VisitKind.Randomization).ToList();
        if (collectedBefore is not null && !collectedBefore.Any(v => v.Forms.Contains(formCode, StringComparer.Ordinal)))
        {
            map.Error("form", $"Form {formCode} must be due at the screening or randomization visit, since its score is needed to randomize.");
        }

        // Bands that an eligible participant's score can fall in: eligibility criteria on the same score narrow the range.
        var score = form.FindScore(scoreCode)!;
        var ranges = eligibility?.Criteria
            .Select(c => c.Question)
            .OfType<NumberQuestion>()
            .Where(q => q.FromScore == new ScoreReference(formCode, scoreCode))
            .ToList() ?? [];
        var low = ranges.Select(r => r.Minimum).Append(score.Minimum).Max(m => m ?? decimal.MinValue);
        var high = ranges.Select(r => r.Maximum).Append(score.Maximum).Min(m => m ?? decimal.MaxValue);
        var reachable = score.Bands.Where(b => b.Maximum >= low && b.Minimum <= high).Select(b => b.Code).ToList();
        return (new DerivedScoreSource(formCode, scoreCode), new SourceValues([.. score.Bands.Select(b => b.Code)], reachable));
    }

    private List<StratificationLevel> MapLevels(YamlMap factor, SourceValues? sourceValues)
    {
        var levels = new List<StratificationLevel>();
        var coded = new List<(string?, YamlMap)>();
        var placed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in factor.Items("levels", LevelKeys, minCount: 2))
        {
            var code = item.Code("code");
            coded.Add((code, item));
            var values = new List<string>();
            foreach (var (value, node, path) in item.Scalars("values", "source values"))
            {
                if (sourceValues is not null && !IsDefined(value, node, path, sourceValues.Allowed, "Source value"))
                {
                    continue;
                }

                if (placed.TryGetValue(value, out var other))
                {
                    errors.Add(node, path, $"Value '{value}' already puts participants in level {other}; a value belongs to one level only.");
                    continue;
                }

                placed[value] = code ?? "";
                values.Add(value);
            }

            levels.Add(new StratificationLevel(code ?? "", item.Text("label") ?? "", values));
        }

        RequireUnique(coded, "level");
        var uncovered = sourceValues?.Required.Where(v => !placed.ContainsKey(v)).ToList() ?? [];
        if (uncovered.Count > 0 && levels.Count > 0)
        {
            factor.Error("levels", $"No level takes {string.Join(", ", uncovered.Select(v => $"'{v}'"))}, so an eligible participant with that value could not be randomized; add it to a level's values.");
        }

        return levels;
    }

    /// <summary>The values a source can give (<see cref="Allowed"/>) and those an eligible participant can bring (<see cref="Required"/>).</summary>
    private sealed record SourceValues(IReadOnlyList<string> Allowed, IReadOnlyList<string> Required);
}
