using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;

namespace TrialManager.Web.Features.Audit;

/// <summary>The administrator's "verify the audit trail" button: recomputes the whole hash chain and records that it was run, with its outcome.</summary>
public sealed class VerifyAuditChain(AuditChainVerifier verifier, TrialDbContext db, CurrentUser me, ILogger<VerifyAuditChain> logger)
{
    public async Task<AuditChainReport> ExecuteAsync(CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.Administration);
        var report = await verifier.VerifyAsync(cancellationToken);
        db.AuditAction("VerifyAuditTrail", "AuditTrail", "", new { report.Intact, report.EntriesChecked, report.FirstBrokenSeq, report.Problem });
        await db.SaveChangesAsync(cancellationToken);
        if (!report.Intact)
        {
            logger.LogError("Audit trail verification failed at entry {ChainSeq}: {Problem}", report.FirstBrokenSeq, report.Problem);
        }

        return report;
    }
}
