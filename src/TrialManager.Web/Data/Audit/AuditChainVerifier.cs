using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;

namespace TrialManager.Web.Data.Audit;

public sealed record AuditChainReport(long EntriesChecked, long? FirstBrokenSeq, string? Problem)
{
    public bool Intact => FirstBrokenSeq is null;
}

/// <summary>
/// Walks the whole audit trail in chain order and recomputes every hash in C#, independently of the database's own
/// functions (which someone with superuser rights could also replace). Reports the first entry whose content, hash
/// or link to its predecessor does not match.
/// </summary>
public sealed class AuditChainVerifier(IDbContextFactory<TrialDbContext> dbFactory)
{
    private const int BatchSize = 5_000;

    public async Task<AuditChainReport> VerifyAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var expectedPrevious = new string('0', 64);
        long expectedSeq = 1;
        long checkedCount = 0;
        while (true)
        {
            var seq = expectedSeq;
            var batch = await db.AuditTrail.AsNoTracking().Where(e => e.ChainSeq >= seq).OrderBy(e => e.ChainSeq).Take(BatchSize).ToListAsync(cancellationToken);
            if (batch.Count == 0)
            {
                return new AuditChainReport(checkedCount, null, null);
            }

            foreach (var entry in batch)
            {
                if (entry.ChainSeq != expectedSeq)
                {
                    return new AuditChainReport(checkedCount, expectedSeq, $"entry {expectedSeq} is missing (the next one is {entry.ChainSeq})");
                }

                if (entry.PreviousHash != expectedPrevious)
                {
                    return new AuditChainReport(checkedCount, entry.ChainSeq, $"entry {entry.ChainSeq} does not link to entry {entry.ChainSeq - 1}");
                }

                if (Hash(entry) != entry.Hash)
                {
                    return new AuditChainReport(checkedCount, entry.ChainSeq, $"entry {entry.ChainSeq} ({entry.Action} {entry.EntityType} {entry.EntityId}) was altered after it was written");
                }

                expectedPrevious = entry.Hash;
                expectedSeq++;
                checkedCount++;
            }
        }
    }

    /// <summary>The same canonical text as the database function audit_trail_canonical (migration 0003).</summary>
    public static string Canonical(AuditEntry e) => string.Join('\u001f',
        e.ChainSeq.ToString(CultureInfo.InvariantCulture),
        e.PreviousHash,
        e.OccurredAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
        e.UserId, e.UserName, e.Roles, e.IpAddress, e.Action, e.EntityType, e.EntityId,
        e.TrialId?.ToString("D") ?? "", e.SiteId?.ToString("D") ?? "", e.ParticipantId?.ToString("D") ?? "",
        e.Changes, e.Reason);

    public static string Hash(AuditEntry entry) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical(entry))));
}
