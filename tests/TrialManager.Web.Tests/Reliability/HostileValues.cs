using System.Text.RegularExpressions;

namespace TrialManager.Web.Tests.Reliability;

/// <summary>
/// One hostile value: a label for failure messages and the value as it goes on the wire, already percent-encoded (so a
/// value can carry bytes that are not UTF-8 at all).
/// </summary>
public sealed record HostileValue(string Label, string Encoded)
{
    public static HostileValue Text(string label, string value) => new(label, Uri.EscapeDataString(value));
}

/// <summary>
/// The values thrown at every field: the same set for every form, plus numbers, dates or other sites' ids where the
/// field looks like one. Script markers are distinctive, so finding one unescaped in a page can only mean reflection.
/// </summary>
public static partial class HostileValues
{
    public const string ScriptMarker = "<script>alert('tm-xss')</script>";
    public const string AttributeMarker = "\"><img src=x onerror=alert('tm-xss')>";

    /// <summary>Thrown at every field.</summary>
    public static IReadOnlyList<HostileValue> Common { get; } =
    [
        HostileValue.Text("empty", ""),
        HostileValue.Text("blank", "   "),
        HostileValue.Text("huge (100,000 characters)", new string('A', 100_000)),
        HostileValue.Text("script", ScriptMarker),
        HostileValue.Text("attribute break-out", AttributeMarker),
        HostileValue.Text("SQL-looking", "x'); drop table \"Participants\"; --"),
        HostileValue.Text("unicode (RTL override, astral, combining, emoji)", "Zoe\u0308 \u202Eevil\u202C \U0001D518\U0001D52B\U0001D526 \U0001F600 \uFDFD"),
        HostileValue.Text("control characters", "a\u0000b\u0001\u0007\u001b[31m\r\n\t\u007f"),
        new("invalid UTF-8", "%FF%FE%C0%AF%ED%A0%80"),
    ];

    public static IReadOnlyList<HostileValue> Numbers { get; } =
    [
        HostileValue.Text("word for a number", "twelve"),
        HostileValue.Text("negative", "-1"),
        HostileValue.Text("beyond int", "2147483648"),
        HostileValue.Text("beyond long", "99999999999999999999999"),
        HostileValue.Text("overflowing double", "1e309"),
        HostileValue.Text("NaN", "NaN"),
        HostileValue.Text("decimal comma", "1,5"),
    ];

    public static IReadOnlyList<HostileValue> Dates { get; } =
    [
        HostileValue.Text("impossible date", "2026-02-30"),
        HostileValue.Text("year 1", "0001-01-01"),
        HostileValue.Text("year 9999", "9999-12-31"),
        HostileValue.Text("other date format", "31/12/2026"),
        HostileValue.Text("impossible time", "25:61"),
    ];

    /// <summary>Ids that exist, but at another site (or nowhere): a field holding an id gets each.</summary>
    public static IReadOnlyList<HostileValue> Ids(IEnumerable<(string Label, string Id)> otherSites) =>
    [
        .. otherSites.Select(o => HostileValue.Text($"another site's {o.Label}", o.Id)),
        HostileValue.Text("empty guid", Guid.Empty.ToString()),
        HostileValue.Text("not a guid", "not-a-guid"),
    ];

    public static bool LooksNumeric(string type, string name, string value) =>
        type is "number" or "range" || (value.Length > 0 && value.Length < 12 && value.All(c => char.IsAsciiDigit(c) || c is '.' or '-'))
        || NumberName().IsMatch(name);

    public static bool LooksLikeDate(string type, string value) =>
        type is "date" or "time" or "datetime-local" or "month" || DateValue().IsMatch(value);

    public static bool LooksLikeId(string name, IEnumerable<string> values) =>
        name.EndsWith("Id", StringComparison.Ordinal) || values.Any(v => Guid.TryParse(v, out _));

    /// <summary>Whether a page shows script or markup exactly as a hostile value carried it (that is, unescaped).</summary>
    public static bool Reflects(string html) =>
        html.Contains(ScriptMarker, StringComparison.OrdinalIgnoreCase) || html.Contains("<img src=x onerror", StringComparison.OrdinalIgnoreCase);

    /// <summary>Signs of an internal error in a page: stack frames, exception type names, the database driver, our namespaces.</summary>
    public static string? InternalDetail(string html)
    {
        var match = InternalDetailPattern().Match(html);
        return match.Success ? match.Value : null;
    }

    [GeneratedRegex(@"(Year|Count|Units|Grade|Score|Number|Quantity|Sets|Days|Dose|Weight|Height|Pulse|Systolic|Diastolic|Temperature)$")]
    private static partial Regex NumberName();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}|^\d{2}:\d{2}$")]
    private static partial Regex DateValue();

    // Bounded repetitions: the pages echo 100,000-character values, and an unbounded \w+ before a literal would backtrack
    // quadratically over them.
    [GeneratedRegex(@"\bat (System|Microsoft|Npgsql|TrialManager)\.[\w.`]{1,200}\(|Npgsql\.|PostgresException|TrialManager\.Web\.(?!styles\.css)\w{1,60}\.\w|\b[A-Z][a-z]\w{0,60}Exception:")]
    private static partial Regex InternalDetailPattern();
}
