namespace TrialManager.Domain.Protocols;

internal sealed partial class ProtocolMapper
{
    private static readonly string[] CriterionKeys =
        ["code", "kind", "text", "answer", "eligible_when", "hard_stop", "unit", "choices", "from_score"];

    private static readonly string[] RangeKeys = ["min", "max"];
    private static readonly string[] ScoreReferenceKeys = ["form", "score"];

    private static readonly Dictionary<string, CriterionKind> CriterionKinds = new(StringComparer.Ordinal)
    {
        ["inclusion"] = CriterionKind.Inclusion,
        ["exclusion"] = CriterionKind.Exclusion,
    };

    private EligibilityCriteria? MapEligibility(
        YamlMap root,
        IReadOnlyList<FormDefinition>? forms,
        IReadOnlyList<Visit>? visits,
        IReadOnlyDictionary<string, IReadOnlyList<Choice>>? choiceSets)
    {
        var before = errors.Count;
        var criteria = new List<EligibilityCriterion>();
        var coded = new List<(string?, YamlMap)>();
        foreach (var item in root.Items("eligibility", CriterionKeys))
        {
            var code = item.Code("code");
            coded.Add((code, item));
            var kind = item.OneOf("kind", CriterionKinds);
            var text = item.Text("text", 500);
            var hardStop = item.Flag("hard_stop", true);
            var answer = item.Word("answer", ["yes_no", "number", "choice"]);
            EligibilityQuestion? question = answer switch
            {
                "yes_no" => MapYesNoQuestion(item),
                "number" => MapNumberQuestion(item, forms, visits),
                "choice" => MapChoiceQuestion(item, choiceSets),
                _ => null,
            };
            if (answer is not null)
            {
                RefuseKeysOfOtherAnswers(item, answer);
            }

            if (question is not null)
            {
                criteria.Add(new EligibilityCriterion(code ?? "", kind ?? CriterionKind.Inclusion, text ?? "", hardStop ?? true, question));
            }
        }

        RequireUnique(coded, "criterion");
        return errors.Count == before ? new EligibilityCriteria(criteria) : null;
    }

    private static void RefuseKeysOfOtherAnswers(YamlMap item, string answer)
    {
        foreach (var (key, owner) in new[] { ("unit", "number"), ("from_score", "number"), ("choices", "choice") })
        {
            if (owner != answer && item.Has(key))
            {
                item.Error(key, $"'{key}' applies only to answer {owner}, and this criterion is answered {answer}; remove it.");
            }
        }
    }

    private static YesNoQuestion? MapYesNoQuestion(YamlMap item) =>
        item.Word("eligible_when", [YesNo.Yes, YesNo.No]) is { } eligible ? new YesNoQuestion(eligible == YesNo.Yes) : null;

    private NumberQuestion? MapNumberQuestion(YamlMap item, IReadOnlyList<FormDefinition>? forms, IReadOnlyList<Visit>? visits)
    {
        var range = item.Map("eligible_when", RangeKeys);
        if (range is null)
        {
            return null;
        }

        var min = range.Number("min", required: false);
        var max = range.Number("max", required: false);
        if (min is null && max is null && !range.Has("min") && !range.Has("max"))
        {
            range.Error("min", "Give the eligible range as min, max or both, e.g. '{ min: 21, max: 65 }'.");
        }
        else if (min > max)
        {
            range.Error("max", $"The eligible range runs from {min} to {max}; max must be at least min.");
        }

        var fromScore = item.Has("from_score") ? MapScoreReference(item, forms, visits) : null;
        return new NumberQuestion(min, max, item.Text("unit", 30, required: false), fromScore);
    }

    /// <summary>The score must exist and its form be due at screening, or eligibility could not be decided.</summary>
    private ScoreReference? MapScoreReference(YamlMap item, IReadOnlyList<FormDefinition>? forms, IReadOnlyList<Visit>? visits)
    {
        var map = item.Map("from_score", ScoreReferenceKeys);
        var formCode = map?.Code("form");
        var scoreCode = map?.Code("score");
        if (map is null || formCode is null || scoreCode is null || forms is null)
        {
            return null;
        }

        if (!IsDefined(formCode, map.Node("form")!, map.At("form"), [.. forms.Select(f => f.Code)], "Form"))
        {
            return null;
        }

        var form = forms.First(f => f.Code == formCode);
        if (!IsDefined(scoreCode, map.Node("score")!, map.At("score"), [.. form.Scores.Select(s => s.Code)], $"Score of form {formCode}"))
        {
            return null;
        }

        var screening = visits?.FirstOrDefault(v => v.Kind == VisitKind.Screening);
        if (screening is not null && !screening.Forms.Contains(formCode, StringComparer.Ordinal))
        {
            map.Error("form", $"Form {formCode} decides eligibility, so it must be due at the screening visit {screening.Code}; add it to that visit's forms.");
        }

        return new ScoreReference(formCode, scoreCode);
    }

    private ChoiceQuestion? MapChoiceQuestion(YamlMap item, IReadOnlyDictionary<string, IReadOnlyList<Choice>>? choiceSets)
    {
        if (!item.Has("choices"))
        {
            item.Error("choices", "A choice criterion needs 'choices': a list of code and label, or the code of a choice set.");
            return null;
        }

        var choices = MapChoices(item, choiceSets);
        var codes = choices.Select(c => c.Code).ToList();
        var eligible = new List<string>();
        foreach (var (code, node, path) in item.Scalars("eligible_when", "choice codes"))
        {
            if (codes.Count > 0 && IsDefined(code, node, path, codes, "Choice"))
            {
                eligible.Add(code);
            }
        }

        return new ChoiceQuestion(choices, eligible);
    }
}
