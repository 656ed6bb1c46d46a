using System.Text.Json;

namespace TrialManager.Benchmarks.Soak;

/// <summary>
/// What one app process logged (the app writes JSON lines to standard output; the soak runs it at Warning): errors
/// and critical entries, and anything carrying an exception, are log errors; warnings are counted by message. Lines
/// that are not JSON (start-up text, a crash on standard error) are errors when they speak of a failure or exception.
/// </summary>
internal sealed class AppLog
{
    private const int Kept = 5;
    private readonly Lock _lock = new();
    private readonly List<string> _errors = [];
    private readonly Dictionary<string, int> _warnings = new(StringComparer.Ordinal);
    private int _errorCount;

    public int Errors
    {
        get
        {
            lock (_lock)
            {
                return _errorCount;
            }
        }
    }

    public int Warnings
    {
        get
        {
            lock (_lock)
            {
                return _warnings.Values.Sum();
            }
        }
    }

    public IReadOnlyList<string> FirstErrors
    {
        get
        {
            lock (_lock)
            {
                return [.. _errors];
            }
        }
    }

    /// <summary>Warnings by category and message template, most frequent first.</summary>
    public IReadOnlyList<(string Warning, int Count)> WarningKinds
    {
        get
        {
            lock (_lock)
            {
                return [.. _warnings.OrderByDescending(w => w.Value).Select(w => (w.Key, w.Value))];
            }
        }
    }

    public void Line(string line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        string level, text;
        try
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            level = Property(root, "LogLevel") ?? "";
            var category = Property(root, "Category") ?? "";
            var exception = Property(root, "Exception");
            var template = root.TryGetProperty("State", out var state) ? Property(state, "{OriginalFormat}") : null;
            if (exception is { Length: > 0 })
            {
                level = "Error";
            }

            text = level is "Warning"
                ? $"{category}: {template ?? Property(root, "Message")}"
                : $"{level} {category}: {Property(root, "Message")}{(exception is { Length: > 0 } ? " — " + exception.Split('\n')[0] : "")}";
        }
        catch (JsonException)
        {
            level = line.Contains("exception", StringComparison.OrdinalIgnoreCase) || line.Contains("fail", StringComparison.OrdinalIgnoreCase) || line.StartsWith("crit", StringComparison.Ordinal)
                ? "Error"
                : "Text";
            text = line;
        }

        lock (_lock)
        {
            if (level is "Error" or "Critical")
            {
                if (++_errorCount <= Kept)
                {
                    _errors.Add(text.Length > 400 ? text[..400] + "…" : text);
                }
            }
            else if (level == "Warning")
            {
                _warnings[text] = _warnings.GetValueOrDefault(text) + 1;
            }
        }
    }

    /// <summary>Standard error of the process, read once it has ended: any line there is reported, a failure counted.</summary>
    public void StandardError(string text)
    {
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            Line(line);
        }
    }

    private static string? Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
