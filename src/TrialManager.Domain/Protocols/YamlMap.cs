using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace TrialManager.Domain.Protocols;

/// <summary>Collects errors with their position while a protocol file is mapped.</summary>
internal sealed class ErrorSink(string file)
{
    public List<ProtocolError> Errors { get; } = [];

    public int Count => Errors.Count;

    public void Add(Mark at, string path, string message) =>
        Errors.Add(new ProtocolError(file, (int)at.Line, (int)at.Column, path, message));

    public void Add(YamlNode at, string path, string message) => Add(at.Start, path, message);
}

/// <summary>
/// A YAML mapping read by hand: only the listed keys are accepted (others get an error naming the nearest
/// valid key), and every typed read reports a missing or malformed value at its line and column. Reads return
/// null on error so mapping can continue and report every problem in one pass.
/// </summary>
internal sealed partial class YamlMap
{
    private readonly YamlMappingNode _node;
    private readonly Dictionary<string, YamlNode> _values = new(StringComparer.Ordinal);

    private YamlMap(YamlMappingNode node, string path, ErrorSink errors)
    {
        _node = node;
        Path = path;
        Errors = errors;
    }

    public string Path { get; }

    public ErrorSink Errors { get; }

    public static YamlMap? Open(YamlNode node, string path, ErrorSink errors, IReadOnlyList<string> keys)
    {
        if (node is not YamlMappingNode mapping)
        {
            errors.Add(node, path, $"Expected a mapping of keys ({string.Join(", ", keys)}), found {Describe(node)}.");
            return null;
        }

        var map = new YamlMap(mapping, path, errors);
        foreach (var (keyNode, value) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key })
            {
                errors.Add(keyNode, path, "Keys must be plain words such as 'code'.");
            }
            else if (!keys.Contains(key, StringComparer.Ordinal))
            {
                errors.Add(keyNode, map.At(key), $"Unknown key '{key}'{(path.Length == 0 ? "" : $" in {path}")}: {Suggest(key, keys, "allowed keys are")}.");
            }
            else
            {
                map._values[key] = value;
            }
        }

        return map;
    }

    public string At(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    public bool Has(string key) => _values.TryGetValue(key, out var node) && !IsBlank(node);

    public YamlNode? Node(string key) => Has(key) ? _values[key] : null;

    /// <summary>The position of a key's value, or of the mapping when the key is absent.</summary>
    private Mark PositionOf(string key) => Node(key)?.Start ?? _node.Start;

    public void Error(string key, string message) => Errors.Add(PositionOf(key), At(key), message);

    public string? Text(string key, int maxLength = 200, bool required = true)
    {
        var scalar = Scalar(key, $"text of at most {maxLength} characters", required);
        if (scalar is null)
        {
            return null;
        }

        var text = scalar.Value!.Trim();
        if (text.Length > maxLength)
        {
            Error(key, $"'{key}' is {text.Length} characters long; shorten it to at most {maxLength}.");
            return null;
        }

        return text;
    }

    public string? Code(string key, bool required = true)
    {
        var scalar = Scalar(key, CodeRule, required);
        if (scalar is null)
        {
            return null;
        }

        if (CodePattern().IsMatch(scalar.Value!))
        {
            return scalar.Value;
        }

        Error(key, $"'{Shorten(scalar.Value!)}' is not a valid code: use {CodeRule}.");
        return null;
    }

    public int? Integer(string key, int min, int max, bool required = true)
    {
        var rule = $"a whole number from {min} to {max}";
        var scalar = Scalar(key, rule, required);
        if (scalar is null)
        {
            return null;
        }

        if (!int.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            Error(key, $"'{key}' must be {rule}, not '{Shorten(scalar.Value!)}'.");
            return null;
        }

        return value;
    }

    public decimal? Number(string key, bool required = true)
    {
        var scalar = Scalar(key, "a number such as 12 or 0.5", required);
        if (scalar is null)
        {
            return null;
        }

        if (!decimal.TryParse(scalar.Value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            Error(key, $"'{key}' must be a number such as 12 or 0.5 (dot for decimals), not '{Shorten(scalar.Value!)}'.");
            return null;
        }

        return Numbers.Normalize(value);
    }

    public bool? Flag(string key, bool? defaultValue = null)
    {
        var scalar = Scalar(key, "true or false", required: defaultValue is null);
        if (scalar is null)
        {
            return Has(key) ? null : defaultValue;
        }

        return scalar.Value switch
        {
            "true" => true,
            "false" => false,
            _ => FlagError(key, scalar.Value!),
        };
    }

    private bool? FlagError(string key, string value)
    {
        Error(key, $"'{key}' must be true or false, not '{Shorten(value)}'.");
        return null;
    }

    /// <summary>A value that must be one of a fixed set of words, e.g. a field type.</summary>
    public T? OneOf<T>(string key, IReadOnlyDictionary<string, T> words, bool required = true)
        where T : struct =>
        Word(key, [.. words.Keys], required) is { } word ? words[word] : null;

    public string? Word(string key, IReadOnlyList<string> words, bool required = true)
    {
        var scalar = Scalar(key, $"one of {string.Join(", ", words)}", required);
        if (scalar is null)
        {
            return null;
        }

        var value = scalar.Value!.Trim();
        if (words.Contains(value, StringComparer.Ordinal))
        {
            return value;
        }

        Error(key, $"'{Shorten(value)}' is not a valid {key}: {Suggest(value, words, "use one of")}.");
        return null;
    }

    public YamlMap? Map(string key, IReadOnlyList<string> keys, bool required = true)
    {
        var node = Node(key);
        if (node is null)
        {
            if (required)
            {
                Missing(key, $"a mapping with keys {string.Join(", ", keys)}");
            }

            return null;
        }

        return Open(node, At(key), Errors, keys);
    }

    /// <summary>A list of mappings; each item comes with its path, e.g. <c>arms[1]</c>. Items that are not mappings are reported and skipped.</summary>
    public IReadOnlyList<YamlMap> Items(string key, IReadOnlyList<string> keys, int minCount = 1)
    {
        var list = Sequence(key, $"a list of items with keys {string.Join(", ", keys)}", minCount);
        var maps = new List<YamlMap>();
        for (var i = 0; i < list.Count; i++)
        {
            if (Open(list[i], $"{At(key)}[{i}]", Errors, keys) is { } map)
            {
                maps.Add(map);
            }
        }

        return maps;
    }

    /// <summary>A list of plain values, each with its node for error positions.</summary>
    public IReadOnlyList<(string Value, YamlScalarNode Node, string Path)> Scalars(string key, string itemRule, int minCount = 1)
    {
        var list = Sequence(key, $"a list of {itemRule}", minCount);
        var values = new List<(string, YamlScalarNode, string)>();
        for (var i = 0; i < list.Count; i++)
        {
            var path = $"{At(key)}[{i}]";
            if (list[i] is YamlScalarNode { Value: { } value } scalar && !IsBlank(scalar))
            {
                values.Add((value.Trim(), scalar, path));
            }
            else
            {
                Errors.Add(list[i], path, $"Expected {itemRule}, found {Describe(list[i])}.");
            }
        }

        return values;
    }

    private IReadOnlyList<YamlNode> Sequence(string key, string rule, int minCount)
    {
        var node = Node(key);
        if (node is null)
        {
            if (minCount > 0)
            {
                Missing(key, rule);
            }

            return [];
        }

        if (node is not YamlSequenceNode sequence)
        {
            Error(key, $"'{key}' must be {rule} (one '- ' line per item or [a, b]), found {Describe(node)}.");
            return [];
        }

        if (sequence.Children.Count < minCount)
        {
            Error(key, $"'{key}' needs at least {minCount} item{(minCount == 1 ? "" : "s")}.");
        }

        return [.. sequence.Children];
    }

    private YamlScalarNode? Scalar(string key, string rule, bool required)
    {
        if (!_values.TryGetValue(key, out var node) || IsBlank(node))
        {
            if (required)
            {
                Missing(key, rule);
            }

            return null;
        }

        if (node is not YamlScalarNode scalar)
        {
            Error(key, $"'{key}' must be {rule}, found {Describe(node)}.");
            return null;
        }

        return scalar;
    }

    private void Missing(string key, string rule)
    {
        var where = Path.Length == 0 ? "the protocol" : Path;
        var message = _values.ContainsKey(key)
            ? $"'{key}' is empty; give {rule}."
            : $"Required field '{key}' is missing from {where}; add '{key}:' with {rule}.";
        Errors.Add(_values.GetValueOrDefault(key)?.Start ?? _node.Start, At(key), message);
    }

    /// <summary>Nothing, a YAML null word, or only spaces: all count as "no value".</summary>
    private static bool IsBlank(YamlNode node) =>
        node is YamlScalarNode scalar
        && (string.IsNullOrWhiteSpace(scalar.Value)
            || (scalar.Style is ScalarStyle.Plain or ScalarStyle.Any && scalar.Value is "~" or "null" or "Null" or "NULL"));

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s when IsBlank(s) => "nothing",
        YamlScalarNode s => $"'{Shorten(s.Value!)}'",
        _ => "something else",
    };

    public static string Shorten(string value) => value.Length > 40 ? value[..40] + "..." : value;

    /// <summary>"did you mean 'x'?" when a candidate is close to what was written, else the full list.</summary>
    public static string Suggest(string written, IReadOnlyList<string> candidates, string listIntro)
    {
        var nearest = candidates
            .Select(c => (Candidate: c, Distance: Distance(written.ToLowerInvariant(), c.ToLowerInvariant())))
            .OrderBy(c => c.Distance)
            .FirstOrDefault();
        if (nearest.Candidate is not null && nearest.Distance <= Math.Max(2, written.Length / 3))
        {
            return $"did you mean '{nearest.Candidate}'?";
        }

        return candidates.Count == 0 ? "none are defined" : $"{listIntro} {string.Join(", ", candidates)}";
    }

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }

            previous = current;
        }

        return previous[b.Length];
    }

    public const string CodeRule = "1 to 40 letters, digits, '_' or '-', starting with a letter or digit";

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}\z")]
    private static partial Regex CodePattern();
}
