using TrialManager.Domain.Protocols;
using TrialManager.Domain.Randomization;

namespace TrialManager.Web.Features.Randomization;

/// <summary>Maps a participant (site and the stratification levels recorded at screening) to their stratum's canonical key.</summary>
public static class ParticipantStratum
{
    /// <summary>The canonical key, or null with the reason when the recorded levels do not fit the protocol.</summary>
    public static string? Key(Protocol protocol, string siteCode, string recordedLevels, out string? problem)
    {
        var recorded = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in recordedLevels.Split('|', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=');
            if (parts.Length != 2)
            {
                problem = "The stratification values recorded at screening are not readable.";
                return null;
            }

            recorded[parts[0]] = parts[1];
        }

        var missing = protocol.Randomization.Factors.FirstOrDefault(f => !recorded.TryGetValue(f.Code, out var level) || f.Levels.All(l => l.Code != level));
        if (missing is not null)
        {
            problem = $"Record the participant's {missing.Label.ToLowerInvariant()} at screening before randomizing.";
            return null;
        }

        if (protocol.FindSite(siteCode) is null)
        {
            problem = "This site is not in the protocol version the randomization list was made from.";
            return null;
        }

        problem = null;
        return Strata.KeyFor(protocol, siteCode, recorded).Canonical;
    }

    /// <summary>How levels are stored on a participant: "factor=level" pairs in protocol order, joined by "|".</summary>
    public static string Format(IEnumerable<StratumLevel> levels) => string.Join('|', levels.Select(l => l.ToString()));
}
