using System.Text.Json.Serialization;

namespace TrialManager.Domain.Protocols;

/// <summary>
/// A rule across fields of one form. It runs only when the fields it reads parsed cleanly; its message is
/// reported on <see cref="Field"/>.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "check")]
[JsonDerivedType(typeof(ComparisonCheck), "compare")]
[JsonDerivedType(typeof(RequiredWhenCheck), "required_when")]
public abstract record CrossFieldCheck(string Field, string? Message)
{
    /// <summary>Null when the check holds; otherwise the message for <see cref="Field"/>.</summary>
    public abstract string? Evaluate(IReadOnlyDictionary<string, FieldValue> values, FormDefinition form);

    protected string LabelOf(FormDefinition form, string code) => form.FindField(code)?.Label ?? code;
}

public enum ComparisonOperator
{
    LessThan,
    LessThanOrEqual,
    GreaterThan,
    GreaterThanOrEqual,
    Equal,
    NotEqual,
}

/// <summary><c>field op other_field</c>, e.g. end_date &gt;= start_date; both numbers or both dates.</summary>
public sealed record ComparisonCheck(string Field, ComparisonOperator Operator, string OtherField, string? Message)
    : CrossFieldCheck(Field, Message)
{
    public static IReadOnlyDictionary<string, ComparisonOperator> Symbols { get; } = new Dictionary<string, ComparisonOperator>(StringComparer.Ordinal)
    {
        ["<"] = ComparisonOperator.LessThan,
        ["<="] = ComparisonOperator.LessThanOrEqual,
        [">"] = ComparisonOperator.GreaterThan,
        [">="] = ComparisonOperator.GreaterThanOrEqual,
        ["="] = ComparisonOperator.Equal,
        ["!="] = ComparisonOperator.NotEqual,
    };

    public override string? Evaluate(IReadOnlyDictionary<string, FieldValue> values, FormDefinition form)
    {
        if (!values.TryGetValue(Field, out var left) || !values.TryGetValue(OtherField, out var right))
        {
            return null;
        }

        var order = (left, right) switch
        {
            (DateValue a, DateValue b) => a.Value.CompareTo(b.Value),
            _ when AsNumber(left) is { } a && AsNumber(right) is { } b => a.CompareTo(b),
            _ => (int?)null,
        };
        if (order is not { } o || Holds(o))
        {
            return null;
        }

        return Message ?? $"{LabelOf(form, Field)} must be {Phrase()} {LabelOf(form, OtherField)}.";
    }

    private bool Holds(int order) => Operator switch
    {
        ComparisonOperator.LessThan => order < 0,
        ComparisonOperator.LessThanOrEqual => order <= 0,
        ComparisonOperator.GreaterThan => order > 0,
        ComparisonOperator.GreaterThanOrEqual => order >= 0,
        ComparisonOperator.Equal => order == 0,
        _ => order != 0,
    };

    private string Phrase() => Operator switch
    {
        ComparisonOperator.LessThan => "less than",
        ComparisonOperator.LessThanOrEqual => "at most",
        ComparisonOperator.GreaterThan => "greater than",
        ComparisonOperator.GreaterThanOrEqual => "at least",
        ComparisonOperator.Equal => "equal to",
        _ => "different from",
    };

    private static decimal? AsNumber(FieldValue value) => value switch
    {
        IntegerValue i => i.Value,
        DecimalValue d => d.Value,
        _ => null,
    };
}

/// <summary><c>field</c> must be filled in when <c>when_field</c> has the value <c>equals</c> (e.g. if other_drug = yes then other_drug_name is required).</summary>
public sealed record RequiredWhenCheck(string Field, string WhenField, string EqualsValue, string? Message)
    : CrossFieldCheck(Field, Message)
{
    public override string? Evaluate(IReadOnlyDictionary<string, FieldValue> values, FormDefinition form)
    {
        if (values.ContainsKey(Field) || !values.TryGetValue(WhenField, out var trigger) || !Matches(trigger))
        {
            return null;
        }

        return Message ?? $"{LabelOf(form, Field)} is required when {LabelOf(form, WhenField)} is {EqualsValue}.";
    }

    private bool Matches(FieldValue trigger) => trigger switch
    {
        ChoicesValue many => many.Codes.Contains(EqualsValue, StringComparer.Ordinal),
        _ => trigger.ToStorageText() == EqualsValue,
    };
}
