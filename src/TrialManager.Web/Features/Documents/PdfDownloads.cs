using System.Reflection;
using TrialManager.Documents;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Documents;

/// <summary>A document ready to send: what it is of, for the audit entry that records its download.</summary>
public sealed record DocumentRequest(
    ReportDocument Document,
    string Kind,
    string FileName,
    string EntityType,
    string EntityId,
    Guid? TrialId = null,
    Guid? SiteId = null,
    Guid? ParticipantId = null);

/// <summary>
/// Renders a document and records its download in the audit trail (who, what, the document id, its page count and
/// content hash) before the first byte is sent, in the same way as the CSV export. Callers check access first, exactly
/// as the page the document comes from does.
/// </summary>
public sealed class PdfDownloads(TrialDbContext db, TimeProvider clock)
{
    public static string SoftwareVersion { get; } =
        typeof(PdfDownloads).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0";

    public async Task<IResult> SendAsync(DocumentRequest request, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var documentId = $"{request.Kind}-{Guid.CreateVersion7():N}".ToUpperInvariant();
        var pdf = PdfRenderer.Render(request.Document, new RenderOptions(documentId, now, SoftwareVersion));
        db.AuditAction("DownloadPdf", request.EntityType, request.EntityId,
            new { Document = request.Kind, DocumentId = documentId, Pages = pdf.PageCount, pdf.ContentHash },
            request.TrialId, request.SiteId, request.ParticipantId);
        await db.SaveChangesAsync(cancellationToken);
        return Results.File(pdf.Bytes, "application/pdf", request.FileName);
    }
}
