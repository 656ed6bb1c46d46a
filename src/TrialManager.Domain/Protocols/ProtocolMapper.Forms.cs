using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace TrialManager.Domain.Protocols;

internal sealed partial class ProtocolMapper
{
    private static readonly string[] ChoiceSetKeys = ["code", "choices"];
    private static readonly string[] ChoiceKeys = ["code", "label"];
    private static readonly string[] FormKeys = ["code", "title", "fields", "checks", "scores"];
    private static readonly string[] FieldKeys =
        ["code", "label", "type", "unit", "required", "min", "max", "max_length", "decimal_places", "choices"];

    private static readonly string[] CheckKeys = ["field", "operator", "other_field", "required_when", "message"];
    private static readonly string[] RequiredWhenKeys = ["field", "equals"];
    private static readonly string[] ScoreKeys = ["code", "label", "items", "bands"];
    private static readonly string[] BandKeys = ["code", "label", "min", "max"];

    private static readonly Dictionary<string, FieldType> FieldTypes = new(StringComparer.Ordinal)
    {
        ["integer"] = FieldType.Integer,
        ["decimal"] = FieldType.Decimal,
        ["text"] = FieldType.Text,
        ["date"] = FieldType.Date,
        ["single_choice"] = FieldType.SingleChoice,
        ["multiple_choice"] = FieldType.MultipleChoice,
        ["yes_no"] = FieldType.YesNo,
    };

    /// <summary>Named choice lists shared by many fields (e.g. the four answers of every scale item).</summary>
    private Dictionary<string, IReadOnlyList<Choice>>? MapChoiceSets(YamlMap root)
    {
        var before = errors.Count;
        var sets = new Dictionary<string, IReadOnlyList<Choice>>(StringComparer.Ordinal);
        var coded = new List<(string?, YamlMap)>();
        foreach (var item in root.Items("choice_sets", ChoiceSetKeys, minCount: 0))
        {
            var code = item.Code("code");
            coded.Add((code, item));
            var choices = MapChoiceList(item, "choices");
            if (code is not null)
            {
                sets[code] = choices;
            }
        }

        RequireUnique(coded, "choice set");
        return errors.Count == before ? sets : null;
    }

    private List<Choice> MapChoiceList(YamlMap owner, string key)
    {
        var choices = new List<Choice>();
        var coded = new List<(string?, YamlMap)>();
        foreach (var item in owner.Items(key, ChoiceKeys, minCount: 2))
        {
            var code = item.Code("code");
            coded.Add((code, item));
            choices.Add(new Choice(code ?? "", item.Text("label", 300) ?? ""));
        }

        RequireUnique(coded, "choice");
        return choices;
    }

    /// <summary>Choices written out as a list, or the code of a choice set.</summary>
    private IReadOnlyList<Choice> MapChoices(YamlMap owner, IReadOnlyDictionary<string, IReadOnlyList<Choice>>? choiceSets)
    {
        if (owner.Node("choices") is YamlScalarNode { Value: { } setCode } node)
        {
            if (choiceSets is not null && IsDefined(setCode, node, owner.At("choices"), [.. choiceSets.Keys], "Choice set"))
            {
                return choiceSets[setCode];
            }

            return [];
        }

        return MapChoiceList(owner, "choices");
    }

    private List<FormDefinition>? MapForms(YamlMap root, IReadOnlyDictionary<string, IReadOnlyList<Choice>>? choiceSets)
    {
        var before = errors.Count;
        var forms = new List<FormDefinition>();
        var coded = new List<(string?, YamlMap)>();
        foreach (var item in root.Items("forms", FormKeys))
        {
            var code = item.Code("code");
            coded.Add((code, item));
            var title = item.Text("title", 300);
            var fields = MapFields(item, choiceSets);
            var checks = fields is null ? [] : MapChecks(item, fields);
            var scores = fields is null ? [] : MapScores(item, fields);
            forms.Add(new FormDefinition(code ?? "", title ?? "", fields ?? [], checks, scores));
        }

        RequireUnique(coded, "form");
        return errors.Count == before ? forms : null;
    }

    private List<FieldDefinition>? MapFields(YamlMap form, IReadOnlyDictionary<string, IReadOnlyList<Choice>>? choiceSets)
    {
        var before = errors.Count;
        var fields = new List<FieldDefinition>();
        var coded = new List<(string?, YamlMap)>();
        foreach (var item in form.Items("fields", FieldKeys))
        {
            var code = item.Code("code");
            coded.Add((code, item));
            var type = item.OneOf("type", FieldTypes);
            var field = new FieldDefinition(
                code ?? "",
                item.Text("label", 300) ?? "",
                type ?? FieldType.Text,
                item.Text("unit", 30, required: false),
                item.Flag("required", false) ?? false,
                item.Number("min", required: false),
                item.Number("max", required: false),
                item.Integer("max_length", 1, 100_000, required: false),
                item.Integer("decimal_places", 0, 6, required: false),
                type is FieldType.SingleChoice or FieldType.MultipleChoice ? MapChoices(item, choiceSets) : []);
            if (type is not null)
            {
                CheckFieldAttributes(item, field);
            }

            fields.Add(field);
        }

        RequireUnique(coded, "field");
        return errors.Count == before ? fields : null;
    }

    /// <summary>Each attribute only where its type can use it, and ranges that can be met.</summary>
    private static void CheckFieldAttributes(YamlMap item, FieldDefinition field)
    {
        var numeric = field.Type is FieldType.Integer or FieldType.Decimal;
        var typeName = FieldTypes.First(t => t.Value == field.Type).Key;
        foreach (var (key, applies, to) in new[]
        {
            ("min", numeric, "integer and decimal"),
            ("max", numeric, "integer and decimal"),
            ("unit", numeric, "integer and decimal"),
            ("max_length", field.Type == FieldType.Text, "text"),
            ("decimal_places", field.Type == FieldType.Decimal, "decimal"),
            ("choices", field.Type is FieldType.SingleChoice or FieldType.MultipleChoice, "single_choice and multiple_choice"),
        })
        {
            if (!applies && item.Has(key))
            {
                item.Error(key, $"'{key}' applies only to {to} fields, and this field is {typeName}; remove it or change the type.");
            }
        }

        if (field.Type is FieldType.SingleChoice or FieldType.MultipleChoice && !item.Has("choices"))
        {
            item.Error("choices", $"A {typeName} field needs 'choices': a list of code and label, or the code of a choice set.");
        }

        if (field.Type == FieldType.Integer)
        {
            foreach (var (key, bound) in new[] { ("min", field.Minimum), ("max", field.Maximum) })
            {
                if (bound is { } b && b != decimal.Truncate(b))
                {
                    item.Error(key, $"An integer field's {key} must be a whole number, not {b.ToString(CultureInfo.InvariantCulture)}.");
                }
            }
        }

        if (field.Minimum > field.Maximum)
        {
            item.Error("max", $"min ({field.Minimum.Value.ToString(CultureInfo.InvariantCulture)}) is greater than max ({field.Maximum!.Value.ToString(CultureInfo.InvariantCulture)}); no value could pass. Swap them or correct one.");
        }
    }

    private List<CrossFieldCheck> MapChecks(YamlMap form, IReadOnlyList<FieldDefinition> fields)
    {
        var checks = new List<CrossFieldCheck>();
        foreach (var item in form.Items("checks", CheckKeys, minCount: 0))
        {
            var field = FieldReference(item, "field", fields);
            var message = item.Text("message", 300, required: false);
            var compare = item.Has("operator") || item.Has("other_field");
            var requiredWhen = item.Map("required_when", RequiredWhenKeys, required: false);
            if (compare == (requiredWhen is not null || item.Has("required_when")))
            {
                item.Error("operator", "A check is either a comparison (operator and other_field) or a condition (required_when); give exactly one of them.");
                continue;
            }

            if (compare)
            {
                var symbol = item.Word("operator", [.. ComparisonCheck.Symbols.Keys]);
                var other = FieldReference(item, "other_field", fields);
                if (field is null || other is null || symbol is null)
                {
                    continue;
                }

                if (!Comparable(field.Type, other.Type))
                {
                    item.Error("other_field", $"{field.Code} ({field.Type}) and {other.Code} ({other.Type}) cannot be compared; compare two numbers or two dates.");
                    continue;
                }

                checks.Add(new ComparisonCheck(field.Code, ComparisonCheck.Symbols[symbol], other.Code, message));
            }
            else if (requiredWhen is not null && MapRequiredWhen(requiredWhen, fields) is { } condition && field is not null)
            {
                checks.Add(new RequiredWhenCheck(field.Code, condition.Field, condition.Value, message));
            }
        }

        return checks;
    }

    private static bool Comparable(FieldType a, FieldType b) =>
        (a is FieldType.Integer or FieldType.Decimal && b is FieldType.Integer or FieldType.Decimal)
        || (a == FieldType.Date && b == FieldType.Date);

    private (string Field, string Value)? MapRequiredWhen(YamlMap map, IReadOnlyList<FieldDefinition> fields)
    {
        var trigger = FieldReference(map, "field", fields);
        var value = map.Text("equals", 100);
        if (trigger is null || value is null)
        {
            return null;
        }

        var allowed = trigger.Type switch
        {
            FieldType.YesNo => [YesNo.Yes, YesNo.No],
            FieldType.SingleChoice or FieldType.MultipleChoice => trigger.Choices.Select(c => c.Code).ToList(),
            _ => null,
        };
        if (allowed is null)
        {
            map.Error("field", $"A condition must test a yes_no or choice field; {trigger.Code} is {trigger.Type}.");
            return null;
        }

        if (!allowed.Contains(value, StringComparer.Ordinal))
        {
            map.Error("equals", $"'{YamlMap.Shorten(value)}' is not an answer of {trigger.Code}: {YamlMap.Suggest(value, allowed, "use one of")}.");
            return null;
        }

        return (trigger.Code, value);
    }

    private FieldDefinition? FieldReference(YamlMap map, string key, IReadOnlyList<FieldDefinition> fields)
    {
        var code = map.Text(key, 40);
        if (code is null)
        {
            return null;
        }

        var field = fields.FirstOrDefault(f => f.Code == code);
        if (field is null)
        {
            IsDefined(code, map.Node(key)!, map.At(key), [.. fields.Select(f => f.Code)], "Field");
        }

        return field;
    }

    private List<DerivedScore> MapScores(YamlMap form, IReadOnlyList<FieldDefinition> fields)
    {
        var scores = new List<DerivedScore>();
        var coded = new List<(string?, YamlMap)>();
        foreach (var item in form.Items("scores", ScoreKeys, minCount: 0))
        {
            var code = item.Code("code");
            coded.Add((code, item));
            var label = item.Text("label", 300);
            var (items, minimum, maximum) = MapScoreItems(item, fields);
            var bands = MapBands(item, minimum, maximum);
            scores.Add(new DerivedScore(code ?? "", label ?? "", items, minimum ?? 0, maximum ?? 0, bands));
        }

        RequireUnique(coded, "score");
        return scores;
    }

    /// <summary>The items and the range of their sum; the range is null when an item cannot be summed.</summary>
    private (List<string> Items, int? Minimum, int? Maximum) MapScoreItems(YamlMap score, IReadOnlyList<FieldDefinition> fields)
    {
        var items = new List<string>();
        int? minimum = 0;
        int? maximum = 0;
        foreach (var (code, node, path) in score.Scalars("items", "field codes", minCount: 2))
        {
            var field = fields.FirstOrDefault(f => f.Code == code);
            if (field is null)
            {
                IsDefined(code, node, path, [.. fields.Select(f => f.Code)], "Field");
                minimum = maximum = null;
                continue;
            }

            if (items.Contains(code, StringComparer.Ordinal))
            {
                errors.Add(node, path, $"Item '{code}' is listed twice; each item counts once.");
                minimum = maximum = null;
                continue;
            }

            items.Add(code);
            var range = ItemRange(field);
            if (range is null)
            {
                errors.Add(node, path, $"Item '{code}' cannot be summed: use an integer field with min and max, or a single_choice field whose choice codes are whole numbers.");
                minimum = maximum = null;
                continue;
            }

            minimum += range.Value.Min;
            maximum += range.Value.Max;
        }

        return (items, minimum, maximum);
    }

    private static (int Min, int Max)? ItemRange(FieldDefinition field) => field switch
    {
        { Type: FieldType.Integer, Minimum: { } min, Maximum: { } max } => ((int)min, (int)max),
        { Type: FieldType.SingleChoice, HasNumericChoices: true } => (
            field.Choices.Min(c => int.Parse(c.Code, CultureInfo.InvariantCulture)),
            field.Choices.Max(c => int.Parse(c.Code, CultureInfo.InvariantCulture))),
        _ => null,
    };

    /// <summary>Bands listed from low to high, each starting right after the previous, covering the score's whole range.</summary>
    private List<ScoreBand> MapBands(YamlMap score, int? minimum, int? maximum)
    {
        var bands = new List<ScoreBand>();
        var coded = new List<(string?, YamlMap)>();
        var before = errors.Count;
        var items = score.Items("bands", BandKeys);
        foreach (var item in items)
        {
            var code = item.Code("code");
            coded.Add((code, item));
            var band = new ScoreBand(code ?? "", item.Text("label") ?? "", item.Integer("min", -10_000, 10_000) ?? 0, item.Integer("max", -10_000, 10_000) ?? 0);
            if (band.Minimum > band.Maximum)
            {
                item.Error("max", $"Band {band.Code} runs from {band.Minimum} to {band.Maximum}; max must be at least min.");
            }

            bands.Add(band);
        }

        RequireUnique(coded, "band");
        if (errors.Count != before || minimum is null || maximum is null || bands.Count == 0)
        {
            return bands;
        }

        var expected = minimum.Value;
        for (var i = 0; i < bands.Count; i++)
        {
            if (bands[i].Minimum != expected)
            {
                var problem = bands[i].Minimum > expected
                    ? $"leaves {expected} to {bands[i].Minimum - 1} in no band"
                    : i == 0 ? "is below the lowest possible score" : "overlaps the band before it";
                var where = i == 0 ? $"the score starts at {minimum}" : $"band {bands[i - 1].Code} ends at {expected - 1}";
                items[i].Error("min", $"Band {bands[i].Code} starts at {bands[i].Minimum}, which {problem}: {where}, so this band must start at {expected}.");
                return bands;
            }

            expected = bands[i].Maximum + 1;
        }

        if (bands[^1].Maximum != maximum)
        {
            items[^1].Error("max", $"The last band {bands[^1].Code} ends at {bands[^1].Maximum}, but the items sum to at most {maximum}; the bands must end exactly at {maximum}.");
        }

        return bands;
    }
}
