using TrialManager.Web.Data.Audit;
using TrialManager.Web.Hosting;

namespace TrialManager.Web.Features.Audit;

/// <summary>
/// `audit verify`: recomputes every hash of the audit trail in C# and checks every link. Exit code 0 when the chain is
/// intact, 1 when it is broken (the first broken entry is printed), 2 for wrong usage.
/// </summary>
public static class AuditCommand
{
    public static async Task<int> RunAsync(WebApplication app, string[] args)
    {
        if (args is not ["verify"])
        {
            await Console.Error.WriteLineAsync("Usage: audit verify   (checks the audit trail's hash chain; exit 0 intact, 1 broken)");
            return 2;
        }

        var startup = app.Services.GetRequiredService<DatabaseStartup>();
        await startup.ResolveAsync(CancellationToken.None);
        try
        {
            var report = await app.Services.GetRequiredService<AuditChainVerifier>().VerifyAsync();
            if (report.Intact)
            {
                Console.WriteLine($"The audit trail is intact: {report.EntriesChecked} entries checked.");
                return 0;
            }

            Console.WriteLine($"The audit trail is BROKEN at entry {report.FirstBrokenSeq}: {report.Problem}. {report.EntriesChecked} entries before it are intact.");
            return 1;
        }
        finally
        {
            await startup.StopAsync(CancellationToken.None);
        }
    }
}
