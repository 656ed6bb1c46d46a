using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Features.Unblinding;
using TrialManager.Web.Sealing;
using TrialManager.Web.Tests.Infrastructure;
using TrialManager.Web.Tests.Safety;

namespace TrialManager.Web.Tests.Reliability;

/// <summary>
/// The backup and restore drill, as an operator would run it: pg_dump of a live trial, pg_restore into a new database,
/// then the app on the restored copy with the same master key. The audit chain verifies and ends where the original
/// did at the dump, the list still matches its commitment, every participant's allocation opens to the same arm, and
/// the restored database takes new audited writes. Without the master key (which is not in the dump) no allocation opens.
/// </summary>
public class BackupRestoreDrillTests(TrialApp app) : IClassFixture<TrialApp>
{
    [Fact]
    public async Task A_dump_restored_into_a_new_database_verifies_and_keeps_every_allocation()
    {
        var trial = await RandomizationTrial.CreateAsync(app, "DRILL-01", kitsPerSite: 12, slotsPerStratum: 12);
        var ids = await trial.AddEligibleParticipantsAsync(app, "LON", 7);
        foreach (var id in ids.Take(6))
        {
            var randomized = await app.AsUserAsync("coordinator", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(id));
            Assert.True(randomized.Succeeded, SafetyScenario.Describe(randomized.Outcome));
        }

        await app.ReportAsync("coordinator", ids[0], app.Serious("LON", "Seizure"));
        var arms = await app.Services.GetRequiredService<Allocations>().ArmsByParticipantAsync(trial.TrialId);
        Assert.Equal(6, arms.Count);

        var dump = Path.Combine(Path.GetTempPath(), $"trialmanager-drill-{Guid.NewGuid():N}.dump");
        var server = await PostgresServer.GetAsync();
        var restoredConnection = await server.CreateEmptyDatabaseAsync("tm_drill_restored");
        try
        {
            await PostgresTools.RunAsync("pg_dump", app.ConnectionString, "--format=custom", "--no-owner", $"--file={dump}", Database(app.ConnectionString));
            await PostgresTools.RunAsync("pg_restore", restoredConnection, "--no-owner", "--exit-on-error", $"--dbname={Database(restoredConnection)}", dump);

            // The app on the restored database, as a new deployment with the kept master key.
            await using var restored = new SecondInstance(app, new Dictionary<string, string> { ["ConnectionStrings:TrialManager"] = restoredConnection });
            var chain = await restored.Services.GetRequiredService<AuditChainVerifier>().VerifyAsync();
            Assert.True(chain.Intact, chain.Problem);
            // It ends exactly where the original stood at the dump: same position, same hash.
            var restoredHead = await HeadAsync(restoredConnection, null);
            Assert.Equal(restoredHead, await HeadAsync(app.ConnectionString, restoredHead.Seq));
            Assert.Equal(restoredHead.Seq, chain.EntriesChecked);

            var list = await restored.Services.GetRequiredService<ListVerifier>().VerifyAsync(trial.TrialId);
            Assert.True(list.Verified, list.Message);
            var restoredArms = await restored.Services.GetRequiredService<Allocations>().ArmsByParticipantAsync(trial.TrialId);
            Assert.Equal(arms.OrderBy(a => a.Key), restoredArms.OrderBy(a => a.Key));

            // The restored database is a working one: its triggers came back, so a new write extends the same chain.
            var more = await app.AsUserOnAsync(restored.Services, "coordinator", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(ids[6]));
            Assert.True(more.Succeeded, SafetyScenario.Describe(more.Outcome));
            var after = await restored.Services.GetRequiredService<AuditChainVerifier>().VerifyAsync();
            Assert.True(after.Intact, after.Problem);
            Assert.True(after.EntriesChecked > chain.EntriesChecked);
            await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(restoredConnection, """UPDATE "AuditTrail" SET "Reason" = 'edited' WHERE "ChainSeq" = 1"""));

            // The dump alone is not enough: with another master key nothing sealed opens.
            await using var wrongKey = new SecondInstance(app, new Dictionary<string, string>
            {
                ["ConnectionStrings:TrialManager"] = restoredConnection,
                ["TrialManager:MasterKey"] = MasterKey.NewBase64(),
            });
            await Assert.ThrowsAsync<SealBrokenException>(() => wrongKey.Services.GetRequiredService<Allocations>().ArmsByParticipantAsync(trial.TrialId));
        }
        finally
        {
            File.Delete(dump);
            NpgsqlConnection.ClearAllPools();
        }
    }

    private static async Task<(long Seq, string Hash)> HeadAsync(string connectionString, long? atSeq)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            atSeq is null
                ? """SELECT "ChainSeq", "Hash" FROM "AuditTrail" ORDER BY "ChainSeq" DESC LIMIT 1"""
                : """SELECT "ChainSeq", "Hash" FROM "AuditTrail" WHERE "ChainSeq" = @seq""",
            connection);
        command.Parameters.AddWithValue("seq", atSeq ?? 0);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetInt64(0), reader.GetString(1));
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static string Database(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString).Database!;
}
