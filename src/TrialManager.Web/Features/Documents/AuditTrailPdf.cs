using System.Globalization;
using TrialManager.Documents;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Features.Audit;

namespace TrialManager.Web.Features.Documents;

/// <summary>
/// The filtered audit view as a PDF, with the same scoping and filter as the page and the CSV export. Sealed values
/// stay masked as they are stored. Larger than <see cref="MaxRows"/> entries is refused with a request to narrow the
/// filter (the CSV takes more).
/// </summary>
public sealed class AuditTrailPdf(SearchAuditTrail search, CurrentUser me, TimeProvider clock, PdfDownloads downloads)
{
    public const int MaxRows = 5_000;

    public async Task<IResult> DownloadAsync(AuditFilter filter, CancellationToken cancellationToken)
    {
        await me.DemandAsync(Policies.AuditTrail);
        var (count, upTo) = await search.MeasureAsync(filter, cancellationToken);
        if (count > MaxRows)
        {
            return Results.Text($"The filter matches {count} entries; a PDF holds at most {MaxRows}. Narrow the filter (for example by date) or export CSV.", statusCode: StatusCodes.Status400BadRequest);
        }

        var entries = new List<AuditEntry>(count);
        await foreach (var entry in search.ExportAsync(filter, upTo, cancellationToken))
        {
            entries.Add(entry);
        }

        var pairs = filter.QueryPairs().ToList();
        var document = new ReportDocument("Audit trail") { Subject = "Audit trail extract", Orientation = PageOrientation.Landscape }
            .AddContext("Filter", pairs.Count == 0 ? "none" : string.Join("; ", pairs.Select(p => $"{p.Key}={p.Value}")))
            .AddContext("Entries", count.ToString(CultureInfo.InvariantCulture))
            .AddContext("Up to entry", upTo.ToString(CultureInfo.InvariantCulture))
            .AddContext("Requested by", me.DisplayName);
        document.Add(
            new Paragraph("Oldest first. Each entry's hash chains to the one before; `audit verify` or the verification page re-checks the whole chain. Sealed values appear as [sealed].") { Small = true },
            DocumentSections.AuditTable(entries));
        var stamp = clock.GetUtcNow().UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        return await downloads.SendAsync(new DocumentRequest(document, "AUDIT", $"audit-trail-{stamp}.pdf", "AuditTrail", ""), cancellationToken);
    }
}
