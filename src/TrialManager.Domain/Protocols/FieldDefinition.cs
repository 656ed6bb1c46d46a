using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace TrialManager.Domain.Protocols;

[SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "These are the protocol format's own field type names.")]
public enum FieldType
{
    Integer,
    Decimal,
    Text,
    Date,
    SingleChoice,
    MultipleChoice,
    YesNo,
}

/// <summary>
/// One CRF field. <see cref="Parse"/> turns what a person typed into a typed value or a message that says
/// what to enter instead; it never throws, whatever the input.
/// </summary>
public sealed partial record FieldDefinition(
    string Code,
    string Label,
    FieldType Type,
    string? Unit,
    bool Required,
    decimal? Minimum,
    decimal? Maximum,
    int? MaxLength,
    int? DecimalPlaces,
    IReadOnlyList<Choice> Choices)
{
    /// <summary>The longest text a text field takes when the protocol sets no max_length.</summary>
    public const int DefaultMaxLength = 1000;

    /// <summary>Anything longer cannot be a number or a date, so it is refused before parsing.</summary>
    private const int MaxNonTextLength = 64;

    public int EffectiveMaxLength => MaxLength ?? DefaultMaxLength;

    /// <summary>Whether every choice code is a whole number, so the field can be an item of a summed score.</summary>
    public bool HasNumericChoices => Choices.Count > 0 && Choices.All(c => int.TryParse(c.Code, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _));

    public FieldParse Parse(string? raw)
    {
        var text = raw?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return Required ? FieldParse.Failed($"{Label} is required.") : FieldParse.Empty;
        }

        if (Type != FieldType.Text && text.Length > MaxNonTextLength)
        {
            return FieldParse.Failed($"{Label}: the entry is too long; {Expectation()}.");
        }

        return Type switch
        {
            FieldType.Integer => ParseInteger(text),
            FieldType.Decimal => ParseDecimal(text),
            FieldType.Text => ParseText(text),
            FieldType.Date => ParseDate(text),
            FieldType.SingleChoice => ParseSingleChoice(text),
            FieldType.MultipleChoice => ParseMultipleChoice(text),
            FieldType.YesNo => YesNo.TryParse(text, out var yes)
                ? FieldParse.Succeeded(new YesNoValue(yes))
                : FieldParse.Failed($"{Label}: answer yes or no."),
            _ => throw new InvalidOperationException($"Field type {Type} has no parser."),
        };
    }

    private FieldParse ParseInteger(string text)
    {
        if (!IntegerPattern().IsMatch(text))
        {
            return FieldParse.Failed($"{Label}: {NumberAdvice(text)}");
        }

        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            return FieldParse.Failed($"{Label}: the number is too large; {Expectation()}.");
        }

        return InRange(value) ? FieldParse.Succeeded(new IntegerValue(value)) : FieldParse.Failed($"{Label}: {Expectation()}.");
    }

    private FieldParse ParseDecimal(string text)
    {
        if (!DecimalPattern().IsMatch(text)
            || !decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            return FieldParse.Failed($"{Label}: {NumberAdvice(text)}");
        }

        if (DecimalPlaces is { } places && value.Scale > places && value != Math.Round(value, places))
        {
            return FieldParse.Failed($"{Label}: use at most {places} decimal place{(places == 1 ? "" : "s")}.");
        }

        return InRange(value) ? FieldParse.Succeeded(new DecimalValue(Numbers.Normalize(value))) : FieldParse.Failed($"{Label}: {Expectation()}.");
    }

    private string NumberAdvice(string text)
    {
        if (text.Contains(','))
        {
            return Type == FieldType.Integer
                ? "enter digits only, without thousands separators or decimal commas."
                : "use a dot as the decimal separator and no thousands separators (for example 36.6).";
        }

        if (Type == FieldType.Integer && DecimalPattern().IsMatch(text))
        {
            return "enter a whole number.";
        }

        return $"{Expectation()}.";
    }

    private FieldParse ParseText(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return FieldParse.Failed($"{Label}: the text contains a broken character; retype it.");
            }
            else if (char.IsControl(c) && c is not ('\n' or '\r' or '\t'))
            {
                return FieldParse.Failed($"{Label}: remove invisible control characters (such as U+{(int)c:X4}).");
            }
        }

        // NFC, so the same words typed on different keyboards are stored, compared and counted alike.
        var normalized = text.Normalize(NormalizationForm.FormC);
        var length = normalized.EnumerateRunes().Count();
        return length > EffectiveMaxLength
            ? FieldParse.Failed($"{Label}: use at most {EffectiveMaxLength} characters (this entry has {length}).")
            : FieldParse.Succeeded(new TextValue(normalized));
    }

    private FieldParse ParseDate(string text)
    {
        if (!DatePattern().IsMatch(text))
        {
            return FieldParse.Failed($"{Label}: enter the date as YYYY-MM-DD (for example 2026-03-14).");
        }

        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? FieldParse.Succeeded(new DateValue(date))
            : FieldParse.Failed($"{Label}: {text} is not a calendar date; check the day and the month.");
    }

    private FieldParse ParseSingleChoice(string text)
    {
        var choice = Choices.FirstOrDefault(c => c.Code == text);
        return choice is null
            ? FieldParse.Failed($"{Label}: choose one of the listed options ({ChoiceList()}).")
            : FieldParse.Succeeded(new ChoiceValue(choice.Code));
    }

    private FieldParse ParseMultipleChoice(string text)
    {
        var picked = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (picked.Any(code => !Choices.Any(c => c.Code == code)))
        {
            return FieldParse.Failed($"{Label}: choose only from the listed options ({ChoiceList()}).");
        }

        if (picked.Distinct(StringComparer.Ordinal).Count() != picked.Length)
        {
            return FieldParse.Failed($"{Label}: choose each option at most once.");
        }

        // Stored in the protocol's order, so the same selection is always the same value.
        var codes = Choices.Where(c => picked.Contains(c.Code, StringComparer.Ordinal)).Select(c => c.Code).ToList();
        return FieldParse.Succeeded(new ChoicesValue(codes));
    }

    private bool InRange(decimal value) => (Minimum is null || value >= Minimum) && (Maximum is null || value <= Maximum);

    private string ChoiceList() => string.Join(", ", Choices.Select(c => c.Label));

    /// <summary>What a valid entry looks like, e.g. "enter a whole number from 40 to 200 bpm".</summary>
    public string Expectation()
    {
        var kind = Type == FieldType.Integer ? "a whole number" : "a number";
        var unit = Unit is null ? "" : " " + Unit;
        return Type switch
        {
            FieldType.Integer or FieldType.Decimal => (Minimum, Maximum) switch
            {
                ({ } min, { } max) => $"enter {kind} from {Invariant(min)} to {Invariant(max)}{unit}",
                ({ } min, null) => $"enter {kind} of at least {Invariant(min)}{unit}",
                (null, { } max) => $"enter {kind} of at most {Invariant(max)}{unit}",
                _ => $"enter {kind}{unit}",
            },
            FieldType.Date => "enter a date as YYYY-MM-DD",
            FieldType.YesNo => "answer yes or no",
            FieldType.Text => $"enter at most {EffectiveMaxLength} characters",
            _ => $"choose from the listed options ({ChoiceList()})",
        };
    }

    private static string Invariant(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^[+-]?[0-9]+\z")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)\z")]
    private static partial Regex DecimalPattern();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}\z")]
    private static partial Regex DatePattern();
}

/// <summary>The outcome of parsing one field: a value, nothing (an optional field left empty), or a message.</summary>
public sealed record FieldParse(FieldValue? Value, string? Error)
{
    public static FieldParse Empty { get; } = new(null, null);

    public static FieldParse Succeeded(FieldValue value) => new(value, null);

    public static FieldParse Failed(string error) => new(null, error);
}
