namespace TrialManager.Domain.Protocols;

/// <summary>A case report form: its fields, the rules across them, and the scores derived from them.</summary>
public sealed record FormDefinition(
    string Code,
    string Title,
    IReadOnlyList<FieldDefinition> Fields,
    IReadOnlyList<CrossFieldCheck> Checks,
    IReadOnlyList<DerivedScore> Scores)
{
    public FieldDefinition? FindField(string code) => Fields.FirstOrDefault(f => f.Code == code);

    public DerivedScore? FindScore(string code) => Scores.FirstOrDefault(s => s.Code == code);

    /// <summary>
    /// Checks an entry as typed (field code to raw text; a multiple choice as codes joined by commas). Each
    /// field is parsed, then the cross-field checks run on the fields that parsed, then the scores are
    /// computed. Never throws on bad input: every problem is a message on the field it concerns.
    /// </summary>
    public FormValidationResult Validate(IReadOnlyDictionary<string, string?> rawValues)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var values = new Dictionary<string, FieldValue>(StringComparer.Ordinal);

        foreach (var key in rawValues.Keys.Where(k => FindField(k) is null))
        {
            // An unknown key is reported, not dropped: it means the page and the protocol disagree.
            var shown = key.Length > 40 ? key[..40] + "..." : key;
            Add(errors, key, $"'{shown}' is not a field of form {Code}.");
        }

        foreach (var field in Fields)
        {
            var parse = field.Parse(rawValues.GetValueOrDefault(field.Code));
            if (parse.Error is not null)
            {
                Add(errors, field.Code, parse.Error);
            }
            else if (parse.Value is not null)
            {
                values[field.Code] = parse.Value;
            }
        }

        foreach (var check in Checks)
        {
            if (check.Evaluate(values, this) is { } message)
            {
                Add(errors, check.Field, message);
            }
        }

        var scores = new Dictionary<string, ScoreResult>(StringComparer.Ordinal);
        foreach (var score in Scores)
        {
            if (score.Compute(values) is { } result)
            {
                scores[score.Code] = result;
            }
        }

        return new FormValidationResult(
            errors.ToDictionary(e => e.Key, e => (IReadOnlyList<string>)e.Value, StringComparer.Ordinal),
            values,
            scores);
    }

    private static void Add(Dictionary<string, List<string>> errors, string field, string message)
    {
        if (!errors.TryGetValue(field, out var list))
        {
            errors[field] = list = [];
        }

        list.Add(message);
    }
}

/// <summary>Per-field messages, the values that parsed, and the scores that could be computed.</summary>
public sealed record FormValidationResult(
    IReadOnlyDictionary<string, IReadOnlyList<string>> Errors,
    IReadOnlyDictionary<string, FieldValue> Values,
    IReadOnlyDictionary<string, ScoreResult> Scores)
{
    public bool IsValid => Errors.Count == 0;
}
