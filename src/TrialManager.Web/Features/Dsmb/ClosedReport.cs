using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Documents;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Features.Unblinding;

namespace TrialManager.Web.Features.Dsmb;

/// <summary>
/// The DSMB's closed report: every summary by arm, for the DSMB and the safety officer only. Each view and each
/// download is audited (which trial, page or PDF, never an arm or a count) before anything of it is shown or sent.
/// </summary>
public sealed class ClosedReport(
    DsmbReportReader reader,
    Allocations allocations,
    TrialProtocols protocols,
    TrialDbContext db,
    CurrentUser me,
    Blinding.BlindingResults blinding,
    PdfDownloads downloads,
    ClosedReportCache closedReports)
{
    public const string AuditAction = "ViewClosedReport";

    /// <summary>The report and its blinding indices for the page, its view audited; null when there is no such trial.</summary>
    public async Task<ClosedReading?> ViewAsync(string trialCode, CancellationToken cancellationToken = default)
    {
        var loaded = await LoadAsync(trialCode, "Page", cancellationToken);
        if (loaded is null)
        {
            return null;
        }

        await db.SaveChangesAsync(cancellationToken);
        return loaded.Value.Reading;
    }

    public async Task<IResult> DownloadAsync(string trialCode, CancellationToken cancellationToken = default)
    {
        var loaded = await LoadAsync(trialCode, "PDF", cancellationToken);
        if (loaded is not { } found)
        {
            return Results.NotFound();
        }

        // The view entry is pending on the same context: the download's own entry and it are saved together before the first byte goes out.
        var trialId = found.TrialId;
        var document = DsmbReportDocument.Build(found.Reading.Report);
        document.Add([.. Blinding.BlindingResults.Blocks(found.Reading.Blinding)]);
        return await downloads.SendAsync(
            new DocumentRequest(document, "DSMBCLOSED", $"{found.Reading.Report.TrialCode}-dsmb-closed.pdf", nameof(Trial), trialId.ToString(), trialId),
            cancellationToken);
    }

    private async Task<(Guid TrialId, ClosedReading Reading)?> LoadAsync(string trialCode, string format, CancellationToken cancellationToken)
    {
        await me.DemandAsync(Policies.Unblinded);
        var source = await reader.ReadAsync(trialCode, cancellationToken);
        if (source is null)
        {
            return null;
        }

        var trialId = source.TrialId;
        var (_, protocol) = await protocols.CurrentAsync(trialId, cancellationToken);
        db.AuditAction(AuditAction, nameof(Trial), trialId.ToString(), new { Report = "DSMB closed report", Format = format }, trialId);
        // Computed once per reading (arms opened once, not per view), on this request's services (its user passed the
        // policy above). With nobody randomized there is nothing to open (and before the list is generated, no trial
        // key to open it with).
        var reading = await closedReports.GetAsync(source, async () =>
        {
            var arms = source.Data.Participants.Any(p => p.RandomizedAt is not null)
                ? await allocations.ArmsByParticipantAsync(trialId, CancellationToken.None)
                : new Dictionary<Guid, string>();
            var report = DsmbReports.Closed(source.Data, protocol.Arms, arms);
            return new ClosedReading(report, await blinding.ComputeAsync(trialId, arms, CancellationToken.None));
        }, cancellationToken);
        return (trialId, reading);
    }
}
