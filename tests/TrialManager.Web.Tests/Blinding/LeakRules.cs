using System.Text.RegularExpressions;

namespace TrialManager.Web.Tests.Blinding;

/// <summary>One thing a blinded person must never see, found at an address.</summary>
/// <param name="Url">The address that answered with it.</param>
/// <param name="Rule">Which rule matched (e.g. "arm label 'Quillwort active capsule'", "block size").</param>
/// <param name="Where">Which part of the answer: url, headers, html, text, attributes, pdf, pdf-info, body, status.</param>
/// <param name="Evidence">The matched text with some context around it.</param>
public sealed record LeakFinding(string Url, string Rule, string Where, string Evidence)
{
    public override string ToString() => $"{Url} [{Where}] {Rule}: …{Evidence}…";
}

/// <summary>
/// What must never reach a blinded role (DESIGN.md, sealed randomization property 6): an arm (code or label, hence
/// also any kit-to-arm mapping), a block size, or a count per arm. Texts are matched after collapsing white space, so
/// a label broken over lines in HTML or a PDF still counts.
/// </summary>
public sealed class LeakRules
{
    private const int Context = 60;

    /// <summary>Block sizes said in words: "block size(s)", "BlockSize", "block_sizes", "blocks of 4", "block length".</summary>
    private static readonly Regex[] BlockSize =
    [
        // Not the CSS property ("block-size: 2rem").
        new(@"block[\s_-]*sizes?(?!\s*:\s*[\d.]+\s*(px|r?em|%|v[hw]|ch|pt)\b)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant),
        new(@"\bblocks?\s+of\s+(size\s+)?\d", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant),
        new(@"block[\s_-]*lengths?\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant),
    ];

    /// <summary>
    /// Counts or mappings by arm: "31 per arm", "counts by arm", "per-arm totals", "ArmCounts", "Arm A", "allocation
    /// ratio", "kit to arm", and drug supply's versions: "stock per arm", "kits by arm", "per-arm stock", "StockByArm".
    /// Bare "by arm" is left alone, as is a denial ("no count by arm"): pages may say what they do not show.
    /// </summary>
    private static readonly Regex[] PerArm =
    [
        new(@"\b\d+\s+(participants?\s+|kits?\s+)?(per|by|in\s+each|for\s+each)\s+(treatment\s+)?arm\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant),
        new(@"(?<!\bno\s)\b(counts?|totals?|numbers?|tall(y|ies)|balance|stocks?|levels?|inventory|kits?)[\s_-]*(per|by|for\s+each|in\s+each)[\s_-]*(treatment\s+)?arms?\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant),
        new(@"(?<!\bno\s)\b(per|by)[\s-]arm\s+(counts?|totals?|numbers?|balance|stocks?|levels?|inventory)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant),
        new(@"(?<!\bno\s)\barms?[\s_-]*(counts?|totals?|balance|tall(y|ies))\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant),
        new(@"\b(treatment\s+)?arm\s+[A-D1-4]\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant),
        new(@"\b(allocation|arm)[\s_-]*ratios?\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant),
        new(@"\bkits?[\s_-]*(to|by|per|->|→)[\s_-]*arms?\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant),
    ];

    private static readonly Regex DataProtected = new(@"CfDJ8[A-Za-z0-9_-]{20,}", RegexOptions.CultureInvariant);

    private readonly List<(string Rule, Regex Pattern)> _rules = [];
    private readonly List<string> _benign;

    /// <param name="arms">Every arm of every trial: its code and its label (the protocol's "blinded_label").</param>
    /// <param name="extraSecrets">Further literal texts that would only appear through a leak (e.g. a distinctive word of a label).</param>
    /// <param name="benign">Texts removed before matching arm codes because they merely contain one as a token (trial codes such as "PSI-MDD-01").</param>
    public LeakRules(IEnumerable<(string Code, string Label)> arms, IEnumerable<string> extraSecrets, IEnumerable<string> benign)
    {
        _benign = [.. benign.Where(b => b.Length > 0).OrderByDescending(b => b.Length)];
        foreach (var (code, label) in arms.Distinct())
        {
            // A short code is matched as a whole token (letters and digits around it break it; "-" or a quote does
            // not), so "PSI" is caught in data-arm="PSI" or "arm-PSI" but not in "PSILOCYBIN". A longer one anywhere.
            _rules.Add(($"arm code '{code}'", code.Length >= 5
                ? Literal(code)
                : new Regex(@"(?<![\p{L}\p{N}_])" + Regex.Escape(code) + @"(?![\p{L}\p{N}_])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)));
            var normalised = Collapse(label);
            _rules.Add(($"arm label '{normalised}'", Literal(normalised)));
            // A label cut short for a narrow column ("Psilocybin 1 mg per caps…") is still the label.
            if (normalised.Length > 24)
            {
                _rules.Add(($"arm label '{normalised}' (start)", Literal(normalised[..24])));
            }
        }

        foreach (var secret in extraSecrets.Select(Collapse).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            _rules.Add(($"arm secret '{secret}'", Literal(secret)));
        }

        _rules.AddRange(BlockSize.Select(r => ("block size", r)));
        _rules.AddRange(PerArm.Select(r => ("per-arm count or mapping", r)));
    }

    public int Count => _rules.Count;

    /// <summary>Every rule that matches <paramref name="text"/>, once per rule.</summary>
    public IEnumerable<LeakFinding> Check(string url, string where, string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            yield break;
        }

        // Data-protection payloads (antiforgery tokens, protected cookies) are random base64url: a code of five
        // letters turns up in one now and then by chance. They carry nothing a person reads, so they are not searched.
        var flat = DataProtected.Replace(Collapse(text), " ");
        var withoutBenign = _benign.Aggregate(flat, (t, b) => t.Replace(b, " ", StringComparison.OrdinalIgnoreCase));
        foreach (var (rule, pattern) in _rules)
        {
            var subject = rule.StartsWith("arm code", StringComparison.Ordinal) ? withoutBenign : flat;
            var match = pattern.Match(subject);
            if (match.Success)
            {
                var start = Math.Max(0, match.Index - Context);
                var end = Math.Min(subject.Length, match.Index + match.Length + Context);
                yield return new LeakFinding(url, rule, where, subject[start..end]);
            }
        }
    }

    public static string Collapse(string text) => Regex.Replace(text, @"\s+", " ").Trim();

    private static Regex Literal(string text) =>
        new(string.Join(@"\s+", text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(Regex.Escape)), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
}
