using Microsoft.EntityFrameworkCore;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Dsmb;

/// <summary>
/// Shares one reading of a trial's DSMB data between requests for as long as nothing has been written since. A DSMB
/// report reads the whole trial (every participant, diary day, event and scored form): at 10,000 participants that is
/// seconds of work, and people opening the report at once would each repeat it. The key is the audit chain's last
/// position: every write is audited, so an unchanged position means unchanged records, in this instance or any other
/// on the same database. Entries that record only a reading (a report viewed, a file downloaded) do not count.
/// Concurrent requests for the same position wait for one reading. A reading holds no arm: the closed report opens
/// arms after its policy check, once per reading (<see cref="ClosedReportCache"/>), and audits every view.
/// </summary>
public sealed class DsmbSourceCache(IServiceScopeFactory scopes, TimeProvider clock)
{
    /// <summary>
    /// A reading is also renewed after this long, for what changes without a write: the site's today (study days,
    /// adherence) and site settings, which are installation records.
    /// </summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);

    /// <summary>Audited actions that change no record (views, downloads, exports, checks, sign-in and out).</summary>
    public static readonly IReadOnlyList<string> ReadingActions =
    [
        ClosedReport.AuditAction, "DownloadPdf", "Export", "ExportRefused", "ExportAuditTrail", "VerifyAuditTrail",
        "ViewBlindingIndices", "ViewAllocationList", "ExportAllocationList", "SignIn", "SignInFailed", "SignOut",
    ];

    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, Entry> _entries = [];

    private sealed record Entry(long Position, DateTimeOffset StartedAt, Task<DsmbSource> Reading);

    /// <summary>The position of the last audited write, anywhere (the audit trail's ChainSeq index answers it backwards).</summary>
    public static async Task<long> LatestWriteAsync(TrialDbContext db, CancellationToken cancellationToken)
    {
        var reading = ReadingActions.ToArray();
        return await db.AuditTrail.Where(a => !reading.Contains(a.Action)).MaxAsync(a => (long?)a.ChainSeq, cancellationToken) ?? 0;
    }

    /// <summary>The reading for <paramref name="position"/> or later: shared when there is one, else started.</summary>
    public Task<DsmbSource> GetAsync(Guid trialId, long position, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        Task<DsmbSource> reading;
        lock (_gate)
        {
            if (_entries.TryGetValue(trialId, out var entry)
                && entry.Position >= position
                && now - entry.StartedAt < MaxAge
                && !entry.Reading.IsFaulted
                && !entry.Reading.IsCanceled)
            {
                reading = entry.Reading;
            }
            else
            {
                // Started after the position was read, so the reading holds at least every write up to it. It runs on
                // its own (not cancelled with the request that started it), since others may be waiting for it.
                reading = Task.Run(() => ReadAsync(trialId));
                foreach (var stale in _entries.Where(e => now - e.Value.StartedAt >= MaxAge).Select(e => e.Key).ToList())
                {
                    _entries.Remove(stale);
                }

                _entries[trialId] = new Entry(position, now, reading);
            }
        }

        return reading.WaitAsync(cancellationToken);
    }

    private async Task<DsmbSource> ReadAsync(Guid trialId)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DsmbReportReader>().ReadFreshAsync(trialId, CancellationToken.None);
    }
}
