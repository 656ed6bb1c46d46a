using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Documents;

namespace TrialManager.Web.Features.Dsmb;

/// <summary>
/// The DSMB's open report: the same summaries pooled over all randomized participants, for the sponsor's blinded
/// staff too. It never asks for an allocation, so no arm can reach it.
/// </summary>
public sealed class OpenReport(DsmbReportReader reader, CurrentUser me, PdfDownloads downloads)
{
    /// <summary>Null when there is no such trial.</summary>
    public async Task<DsmbReport?> LoadAsync(string trialCode, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.PooledReports);
        var source = await reader.ReadAsync(trialCode, cancellationToken);
        return source?.OpenReport;
    }

    public async Task<IResult> DownloadAsync(string trialCode, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.PooledReports);
        var source = await reader.ReadAsync(trialCode, cancellationToken);
        if (source is null)
        {
            return Results.NotFound();
        }

        var report = source.OpenReport;
        return await downloads.SendAsync(
            new DocumentRequest(DsmbReportDocument.Build(report), "DSMBOPEN", $"{report.TrialCode}-dsmb-open.pdf", nameof(Trial), source.TrialId.ToString(), source.TrialId),
            cancellationToken);
    }
}
