using System.Text.Json;
using TrialManager.Domain.Protocols;

namespace TrialManager.Web.Features.Participants;

/// <summary>A derived score as stored on a form entry: its total and band code, computed on the server.</summary>
public sealed record StoredScore(int Total, string Band, string BandLabel);

public static class StoredScores
{
    public static string Serialize(IReadOnlyDictionary<string, ScoreResult> scores) =>
        JsonSerializer.Serialize(scores.ToDictionary(s => s.Key, s => new StoredScore(s.Value.Total, s.Value.Band.Code, s.Value.Band.Label), StringComparer.Ordinal));

    public static Dictionary<string, StoredScore> Read(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, StoredScore>>(json) ?? [];
}
