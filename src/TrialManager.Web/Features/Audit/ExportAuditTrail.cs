using System.Globalization;
using CsvHelper;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Audit;

/// <summary>
/// The filtered audit view as CSV: the same scoping and filter as the page, every column of the entry (hashes
/// included, so a reader can re-check the chain), oldest first. The export itself is recorded in the audit trail
/// before the first byte is sent. Cells that a spreadsheet would run as a formula are escaped.
/// </summary>
public sealed class ExportAuditTrail(TrialDbContext db, SearchAuditTrail search, CurrentUser me, TimeProvider clock)
{
    public static readonly string[] Columns =
    [
        "ChainSeq", "OccurredAtUtc", "UserId", "UserName", "Roles", "IpAddress", "Action", "EntityType", "EntityId",
        "TrialId", "SiteId", "ParticipantId", "Changes", "Reason", "PreviousHash", "Hash",
    ];

    public async Task<IResult> ExecuteAsync(AuditFilter filter, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.AuditTrail);
        var (count, upTo) = await search.MeasureAsync(filter, cancellationToken);
        if (count > SearchAuditTrail.MaxExportRows)
        {
            return Results.Text($"The filter matches {count} entries; an export holds at most {SearchAuditTrail.MaxExportRows}. Narrow the filter (for example by date) and export in parts.", statusCode: StatusCodes.Status400BadRequest);
        }

        db.AuditAction("ExportAuditTrail", "AuditTrail", "", new { Format = "CSV", Rows = count, UpToChainSeq = upTo, Filter = filter.QueryPairs().ToDictionary(p => p.Key, p => p.Value) });
        await db.SaveChangesAsync(cancellationToken);

        var fileName = $"audit-trail-{clock.GetUtcNow().UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}.csv";
        return Results.Stream(stream => WriteAsync(stream, filter, upTo, cancellationToken), "text/csv; charset=utf-8", fileName);
    }

    private async Task WriteAsync(Stream stream, AuditFilter filter, long upTo, CancellationToken cancellationToken)
    {
        await using var csv = CsvWriter.Create(stream, new CsvWriterOptions { Injection = CsvInjection.Escape }, leaveOpen: true);
        await csv.WriteRecordAsync(Columns, cancellationToken);
        await foreach (var e in search.ExportAsync(filter, upTo, cancellationToken))
        {
            await csv.WriteRecordAsync(
                [
                    e.ChainSeq.ToString(CultureInfo.InvariantCulture),
                    e.OccurredAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
                    e.UserId, e.UserName, e.Roles, e.IpAddress, e.Action, e.EntityType, e.EntityId,
                    e.TrialId?.ToString("D") ?? "", e.SiteId?.ToString("D") ?? "", e.ParticipantId?.ToString("D") ?? "",
                    e.Changes, e.Reason, e.PreviousHash, e.Hash,
                ],
                cancellationToken);
        }

        await csv.FlushAsync(cancellationToken);
    }
}

public static class AuditEndpoints
{
    /// <summary>GET /audit/export.csv with the same query as /audit (user, from, to, action, entityType, entityId, participant).</summary>
    public static IEndpointRouteBuilder MapAuditEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/audit/export.csv", (HttpContext context, ExportAuditTrail export, CancellationToken cancellationToken) =>
                export.ExecuteAsync(AuditFilter.FromQuery(context.Request.Query), cancellationToken))
            .RequireAuthorization(Policies.AuditTrail);
        return endpoints;
    }
}
