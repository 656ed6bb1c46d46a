using System.Globalization;

namespace TrialManager.Domain.Protocols;

/// <summary>A CRF value after it passed its field's checks, typed by the field's type.</summary>
public abstract record FieldValue
{
    /// <summary>The canonical text to store: invariant culture, ISO dates, choice codes joined by commas.</summary>
    public abstract string ToStorageText();
}

public sealed record IntegerValue(long Value) : FieldValue
{
    public override string ToStorageText() => Value.ToString(CultureInfo.InvariantCulture);
}

public sealed record DecimalValue(decimal Value) : FieldValue
{
    public override string ToStorageText() => Value.ToString(CultureInfo.InvariantCulture);
}

public sealed record TextValue(string Value) : FieldValue
{
    public override string ToStorageText() => Value;
}

public sealed record DateValue(DateOnly Value) : FieldValue
{
    public override string ToStorageText() => Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

public sealed record YesNoValue(bool Value) : FieldValue
{
    public override string ToStorageText() => YesNo.Format(Value);
}

public sealed record ChoiceValue(string Code) : FieldValue
{
    public override string ToStorageText() => Code;
}

public sealed record ChoicesValue(IReadOnlyList<string> Codes) : FieldValue
{
    public override string ToStorageText() => string.Join(",", Codes);
}
