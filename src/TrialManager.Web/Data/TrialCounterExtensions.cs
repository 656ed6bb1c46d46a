using Microsoft.EntityFrameworkCore;

namespace TrialManager.Web.Data;

public static class TrialCounterExtensions
{
    /// <summary>
    /// The next value (1, 2, ...) of a per-trial counter, taken under the counter row's lock until the caller's
    /// transaction ends, so numbers are never given twice, whichever app instance asks.
    /// </summary>
    public static async Task<int> NextCounterValueAsync(this TrialDbContext db, Guid trialId, string name, CancellationToken cancellationToken) =>
        (await db.Database.SqlQuery<int>($"""
            INSERT INTO "TrialCounters" ("TrialId", "Name", "Value") VALUES ({trialId}, {name}, 1)
            ON CONFLICT ("TrialId", "Name") DO UPDATE SET "Value" = "TrialCounters"."Value" + 1
            RETURNING "Value"
            """).ToListAsync(cancellationToken)).Single();
}
