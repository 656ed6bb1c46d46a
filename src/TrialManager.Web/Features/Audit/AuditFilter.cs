using System.Globalization;

namespace TrialManager.Web.Features.Audit;

/// <summary>
/// What the audit views and the CSV export are narrowed to. Every field is optional; dates are UTC days, both ends
/// included. Built from the query string, so a filtered view is a link that can be shared and exported.
/// </summary>
public sealed record AuditFilter
{
    /// <summary>Part of the printed name, or an exact user id.</summary>
    public string? User { get; init; }

    public DateOnly? From { get; init; }

    public DateOnly? To { get; init; }

    /// <summary>Create, Update, Delete, or a workflow action (SignIn, Randomize, ...); exact, case-insensitive.</summary>
    public string? Action { get; init; }

    /// <summary>An entity type (Participant, Kit, ApplicationUser, ...); exact, case-insensitive.</summary>
    public string? EntityType { get; init; }

    /// <summary>One record's id (with <see cref="EntityType"/>: that record's history).</summary>
    public string? EntityId { get; init; }

    /// <summary>A participant's number (e.g. LON-0001) or id.</summary>
    public string? Participant { get; init; }

    public bool IsEmpty =>
        string.IsNullOrWhiteSpace(User) && From is null && To is null && string.IsNullOrWhiteSpace(Action)
        && string.IsNullOrWhiteSpace(EntityType) && string.IsNullOrWhiteSpace(EntityId) && string.IsNullOrWhiteSpace(Participant);

    /// <summary>The filter as query-string pairs (empty fields left out), for links and the export.</summary>
    public IEnumerable<KeyValuePair<string, string>> QueryPairs()
    {
        if (!string.IsNullOrWhiteSpace(User))
        {
            yield return new("user", User.Trim());
        }

        if (From is { } from)
        {
            yield return new("from", from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        }

        if (To is { } to)
        {
            yield return new("to", to.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        }

        if (!string.IsNullOrWhiteSpace(Action))
        {
            yield return new("action", Action.Trim());
        }

        if (!string.IsNullOrWhiteSpace(EntityType))
        {
            yield return new("entityType", EntityType.Trim());
        }

        if (!string.IsNullOrWhiteSpace(EntityId))
        {
            yield return new("entityId", EntityId.Trim());
        }

        if (!string.IsNullOrWhiteSpace(Participant))
        {
            yield return new("participant", Participant.Trim());
        }
    }

    public string QueryString(params (string Key, string Value)[] extra)
    {
        var pairs = QueryPairs().Concat(extra.Select(e => new KeyValuePair<string, string>(e.Key, e.Value))).ToList();
        return pairs.Count == 0 ? "" : "?" + string.Join("&", pairs.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
    }

    /// <summary>Reads the filter from a request's query string (the export endpoint; pages bind the same names).</summary>
    public static AuditFilter FromQuery(IQueryCollection query) => new()
    {
        User = Text(query["user"]),
        From = Day(query["from"]),
        To = Day(query["to"]),
        Action = Text(query["action"]),
        EntityType = Text(query["entityType"]),
        EntityId = Text(query["entityId"]),
        Participant = Text(query["participant"]),
    };

    public static DateOnly? Day(string? text) =>
        DateOnly.TryParseExact(text?.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null;

    private static string? Text(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim()[..Math.Min(value.Trim().Length, 512)];
}
