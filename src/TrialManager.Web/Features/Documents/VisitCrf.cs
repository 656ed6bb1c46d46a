using TrialManager.Documents;

namespace TrialManager.Web.Features.Documents;

/// <summary>The filled case report form of one visit: every form, scores, queries, and the signature or "Not signed".</summary>
public sealed class VisitCrf(RecordReader reader, PdfDownloads downloads)
{
    public async Task<IResult> DownloadAsync(Guid participantId, string visitCode, CancellationToken cancellationToken)
    {
        var context = await reader.ParticipantAsync(participantId, cancellationToken);
        var visit = context?.Protocol.FindVisit(visitCode);
        if (context is null || visit is null || visit.Forms.Count == 0)
        {
            return Results.NotFound();
        }

        var data = await reader.VisitAsync(context.Participant, context.Protocol, visit, cancellationToken);
        var document = Build(context, data);
        return await downloads.SendAsync(
            new DocumentRequest(document, "CRF", $"{context.Participant.Number}-{visit.Code}-crf.pdf", "Participant", context.Participant.Id.ToString(),
                context.Participant.TrialId, context.Participant.SiteId, context.Participant.Id),
            cancellationToken);
    }

    public static ReportDocument Build(RecordReader.ParticipantContext context, VisitRecordData data)
    {
        var document = new ReportDocument($"Case report form: {data.Visit.Name}") { Subject = $"Visit {data.Visit.Code} of {context.Participant.Number}" }
            .AddContext("Trial", context.Trial.Code)
            .AddContext("Site", context.Site.Code)
            .AddContext("Participant", context.Participant.Number)
            .AddContext("Visit", $"{data.Visit.Code} (day {data.Visit.Day})");
        document.Add([.. DocumentSections.Visit(data)]);
        return document;
    }
}
