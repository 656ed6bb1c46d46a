using TrialManager.Web.Authorization;

namespace TrialManager.Web.Features.Documents;

/// <summary>
/// PDF downloads. Each has the policy of the page it comes from, and its operation checks access again (another
/// site's participant is a 404, as on the page). Every download is audited with the document id and content hash.
/// </summary>
public static class DocumentEndpoints
{
    public static IEndpointRouteBuilder MapDocumentEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/participants/{ParticipantId:guid}/visits/{VisitCode}/crf.pdf",
                (Guid participantId, string visitCode, VisitCrf crf, CancellationToken cancellationToken) => crf.DownloadAsync(participantId, visitCode, cancellationToken))
            .RequireAuthorization(Policies.ParticipantRecords);
        endpoints.MapGet("/adverse-events/{EventId:guid}/report.pdf",
                (Guid eventId, SaeReport report, CancellationToken cancellationToken) => report.DownloadAsync(eventId, cancellationToken))
            .RequireAuthorization(Policies.ParticipantRecords);
        endpoints.MapGet("/audit/export.pdf",
                (HttpContext context, AuditTrailPdf pdf, CancellationToken cancellationToken) => pdf.DownloadAsync(Audit.AuditFilter.FromQuery(context.Request.Query), cancellationToken))
            .RequireAuthorization(Policies.AuditTrail);
        endpoints.MapGet("/participants/{ParticipantId:guid}/casebook.pdf",
                (Guid participantId, Casebook casebook, CancellationToken cancellationToken) => casebook.DownloadAsync(participantId, cancellationToken))
            .RequireAuthorization(Policies.ParticipantRecords);
        endpoints.MapGet("/trials/{Code}/blank-crf.pdf",
                (string code, BlankCrfBook book, CancellationToken cancellationToken) => book.DownloadAsync(code, cancellationToken))
            .RequireAuthorization(Policies.TrialOverview);
        endpoints.MapGet("/trials/{Code}/dsmb/closed.pdf",
                (string code, Dsmb.ClosedReport report, CancellationToken cancellationToken) => report.DownloadAsync(code, cancellationToken))
            .RequireAuthorization(Policies.Unblinded);
        endpoints.MapGet("/trials/{Code}/dsmb/open.pdf",
                (string code, Dsmb.OpenReport report, CancellationToken cancellationToken) => report.DownloadAsync(code, cancellationToken))
            .RequireAuthorization(Policies.PooledReports);
        endpoints.MapGet("/trials/{Code}/sites/{SiteCode}/accountability.pdf",
                (string code, string siteCode, Supply.AccountabilityLogPdf log, CancellationToken cancellationToken) => log.DownloadAsync(code, siteCode, cancellationToken))
            .RequireAuthorization(Policies.Accountability);
        return endpoints;
    }
}
