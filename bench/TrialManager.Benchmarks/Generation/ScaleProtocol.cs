using System.Globalization;
using System.Text;

namespace TrialManager.Benchmarks.Generation;

/// <summary>A site as a benchmark protocol lists it.</summary>
public sealed record ProtocolSite(string Code, string Name, string Country, string TimeZone, string? Depot);

/// <summary>
/// The shipped psilocybin protocol resized for benchmarks: its sites block replaced, enough list slots per stratum and
/// enough kits per site for every randomization and visit dispensing a run will make, so supply never gets in the way.
/// </summary>
public static class ScaleProtocol
{
    public const string ShippedFile = "psilocybin-mdd.yaml";

    /// <summary>Where the generator's sites are, in turn: both depots of the protocol and several time zones each.</summary>
    private static readonly (string Country, string TimeZone, string Depot, string City)[] Places =
    [
        ("GB", "Europe/London", "EUD", "London"),
        ("US", "America/New_York", "USD", "Boston"),
        ("NL", "Europe/Amsterdam", "EUD", "Amsterdam"),
        ("US", "America/Chicago", "USD", "Chicago"),
        ("DE", "Europe/Berlin", "EUD", "Berlin"),
        ("US", "America/Los_Angeles", "USD", "Los Angeles"),
        ("ES", "Europe/Madrid", "EUD", "Madrid"),
        ("US", "America/Denver", "USD", "Denver"),
    ];

    public static string ShippedText() => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "protocols", ShippedFile));

    /// <summary>The generator's sites: codes from <paramref name="options"/>, spread over the places above.</summary>
    public static IReadOnlyList<ProtocolSite> Sites(ScaleOptions options) =>
        [.. Enumerable.Range(1, options.Sites).Select(i =>
        {
            var place = Places[(i - 1) % Places.Length];
            return new ProtocolSite(options.SiteCode(i), $"{place.City} research unit {i}", place.Country, place.TimeZone, place.Depot);
        })];

    /// <summary>Sites S01.. all in London with no depot of their own (the randomization benchmark's layout).</summary>
    public static IReadOnlyList<ProtocolSite> LondonSites(int count) =>
        [.. Enumerable.Range(1, count).Select(i => new ProtocolSite(string.Create(CultureInfo.InvariantCulture, $"S{i:00}"), $"Benchmark site {i}", "GB", "Europe/London", null))];

    /// <param name="kitsPerSite">Initial stock per site, and the resupply ceiling.</param>
    /// <param name="trialCode">A trial code other than the shipped one (so a generated trial can sit beside the demo).</param>
    /// <param name="shelfLifeDays">A longer shelf life, for timelines longer than the shipped one year.</param>
    public static string Text(IReadOnlyList<ProtocolSite> sites, int slotsPerStratum, int kitsPerSite, string? trialCode = null, int? shelfLifeDays = null)
    {
        var text = ShippedText();
        var start = text.IndexOf("sites:\n", StringComparison.Ordinal);
        var end = text.IndexOf("dosing:", StringComparison.Ordinal);
        var block = new StringBuilder("sites:\n");
        foreach (var site in sites)
        {
            block.Append(CultureInfo.InvariantCulture, $"  - code: {site.Code}\n    name: {site.Name}\n    country: {site.Country}\n    time_zone: {site.TimeZone}\n");
            if (site.Depot is not null)
            {
                block.Append(CultureInfo.InvariantCulture, $"    depot: {site.Depot}\n");
            }
        }

        text = (text[..start] + block + "\n" + text[end..])
            .Replace("slots_per_stratum: 60", $"slots_per_stratum: {slotsPerStratum}", StringComparison.Ordinal)
            .Replace("initial_stock_per_site: 12", $"initial_stock_per_site: {kitsPerSite}", StringComparison.Ordinal)
            .Replace("resupply_max: 12", $"resupply_max: {kitsPerSite}", StringComparison.Ordinal);
        if (trialCode is not null)
        {
            text = text.Replace("code: PSI-MDD-01", $"code: {trialCode}", StringComparison.Ordinal);
        }

        if (shelfLifeDays is { } days)
        {
            text = text.Replace("shelf_life_days: 365", $"shelf_life_days: {days}", StringComparison.Ordinal);
        }

        return text;
    }
}
