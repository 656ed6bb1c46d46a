using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using TrialManager.Domain.Protocols;

namespace TrialManager.Domain.Randomization;

/// <summary>One stratification factor's level within a stratum, e.g. <c>sex=female</c>.</summary>
public sealed record StratumLevel(string FactorCode, string LevelCode)
{
    public string FactorCode { get; } = StratumKey.RequireCode(FactorCode, nameof(FactorCode));

    public string LevelCode { get; } = StratumKey.RequireCode(LevelCode, nameof(LevelCode));

    public override string ToString() => $"{FactorCode}={LevelCode}";
}

/// <summary>
/// A stratum: the site (null when the protocol does not stratify by site) and one level per stratification
/// factor, in protocol order. Canonical form: the site code, or <c>*</c> for "all sites", then
/// <c>|factor=level</c> for each factor, e.g. <c>LON|baseline_severity=moderate</c> or <c>*|sex=female</c>.
/// Codes are protocol codes (letters, digits, <c>_</c> and <c>-</c>, starting with a letter or digit), so the
/// separators never occur inside them and the form parses back unambiguously. Equality is by value.
/// </summary>
public sealed record StratumKey(string? SiteCode, IReadOnlyList<StratumLevel> Levels)
{
    public const string AllSites = "*";

    public string? SiteCode { get; } = SiteCode is null ? null : RequireCode(SiteCode, nameof(SiteCode));

    public IReadOnlyList<StratumLevel> Levels { get; } = CheckLevels(Levels);

    /// <summary>The canonical string form (also what <see cref="ToString"/> returns).</summary>
    public string Canonical => _canonical;

    // Declared after the properties so it is initialized after they validated their parameters.
    private readonly string _canonical = BuildCanonical(SiteCode, Levels);

    /// <summary>The level code of a factor in this stratum, or null if the stratum has no such factor.</summary>
    public string? LevelOf(string factorCode) =>
        Levels.FirstOrDefault(l => l.FactorCode == factorCode)?.LevelCode;

    public static StratumKey Parse(string canonical) =>
        TryParse(canonical, out var key) ? key : throw new FormatException($"'{canonical}' is not a canonical stratum key.");

    public static bool TryParse(string? canonical, [NotNullWhen(true)] out StratumKey? key)
    {
        key = null;
        if (string.IsNullOrEmpty(canonical))
        {
            return false;
        }

        var parts = canonical.Split('|');
        var site = parts[0] == AllSites ? null : parts[0];
        if (site is not null && !IsCode(site))
        {
            return false;
        }

        var levels = new List<StratumLevel>();
        foreach (var part in parts.Skip(1))
        {
            var pair = part.Split('=');
            if (pair.Length != 2 || !IsCode(pair[0]) || !IsCode(pair[1]) || levels.Any(l => l.FactorCode == pair[0]))
            {
                return false;
            }

            levels.Add(new StratumLevel(pair[0], pair[1]));
        }

        key = new StratumKey(site, levels);
        return true;
    }

    public bool Equals(StratumKey? other) => other is not null && Canonical == other.Canonical;

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Canonical);

    public override string ToString() => Canonical;

    internal static bool IsCode(string value) =>
        value.Length > 0
        && char.IsAsciiLetterOrDigit(value[0])
        && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    internal static string RequireCode(string value, string parameter)
    {
        ArgumentNullException.ThrowIfNull(value, parameter);
        return IsCode(value)
            ? value
            : throw new ArgumentException($"'{value}' is not a code (letters, digits, '_' and '-', starting with a letter or digit).", parameter);
    }

    private static ReadOnlyCollection<StratumLevel> CheckLevels(IReadOnlyList<StratumLevel> levels)
    {
        ArgumentNullException.ThrowIfNull(levels, nameof(levels));
        if (levels.Any(l => l is null))
        {
            throw new ArgumentException("A stratum level is missing.", nameof(levels));
        }

        var duplicate = levels.GroupBy(l => l.FactorCode, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        return duplicate is null
            ? levels.ToArray().AsReadOnly()
            : throw new ArgumentException($"Factor {duplicate.Key} appears twice in one stratum.", nameof(levels));
    }

    private static string BuildCanonical(string? siteCode, IReadOnlyList<StratumLevel> levels)
    {
        var text = new StringBuilder(siteCode ?? AllSites);
        foreach (var level in levels)
        {
            text.Append('|').Append(level.FactorCode).Append('=').Append(level.LevelCode);
        }

        return text.ToString();
    }
}

/// <summary>The strata a protocol defines.</summary>
public static class Strata
{
    /// <summary>
    /// The cartesian product of the sites (when the protocol stratifies by site, else a single "all sites") and
    /// each factor's levels, in protocol order: sites vary slowest, the last factor fastest.
    /// </summary>
    public static IReadOnlyList<StratumKey> Enumerate(Protocol protocol)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        var sites = protocol.Randomization.StratifyBySite
            ? protocol.Sites.Select(s => (string?)s.Code).ToList()
            : [null];
        IEnumerable<IReadOnlyList<StratumLevel>> combinations = [[]];
        foreach (var factor in protocol.Randomization.Factors)
        {
            combinations = combinations
                .SelectMany(prefix => factor.Levels.Select(level => (IReadOnlyList<StratumLevel>)[.. prefix, new StratumLevel(factor.Code, level.Code)]))
                .ToList();
        }

        var levelLists = combinations.ToList();
        return sites.SelectMany(site => levelLists.Select(levels => new StratumKey(site, levels))).ToList().AsReadOnly();
    }

    /// <summary>
    /// The stratum of a participant at <paramref name="siteCode"/> whose factors fall in the given levels
    /// (factor code to level code). Throws if a factor is missing or a level or site is not in the protocol.
    /// </summary>
    public static StratumKey KeyFor(Protocol protocol, string siteCode, IReadOnlyDictionary<string, string> levelByFactor)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        ArgumentNullException.ThrowIfNull(levelByFactor);
        if (protocol.FindSite(siteCode) is null)
        {
            throw new ArgumentException($"Site {siteCode} is not in protocol {protocol.Code}.", nameof(siteCode));
        }

        var levels = new List<StratumLevel>();
        foreach (var factor in protocol.Randomization.Factors)
        {
            if (!levelByFactor.TryGetValue(factor.Code, out var level) || !factor.Levels.Any(l => l.Code == level))
            {
                throw new ArgumentException($"No valid level given for factor {factor.Code}.", nameof(levelByFactor));
            }

            levels.Add(new StratumLevel(factor.Code, level));
        }

        return new StratumKey(protocol.Randomization.StratifyBySite ? siteCode : null, levels);
    }
}
