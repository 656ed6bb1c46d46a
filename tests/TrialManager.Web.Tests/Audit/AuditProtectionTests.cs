using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Audit;

/// <summary>
/// The audit trail cannot be rewritten through the app's connection (trigger, and privileges when the app has its own
/// role), and whatever a superuser does behind both is found by the chain verification, which names the entry. Each
/// test gets its own freshly migrated database with a short chain of entries, so tampering never leaks between tests.
/// </summary>
public class AuditProtectionTests
{
    private const int Entries = 6;
    private static int _roleCounter;

    private sealed class Factory(string connectionString) : IDbContextFactory<TrialDbContext>
    {
        public TrialDbContext CreateDbContext() => new(new DbContextOptionsBuilder<TrialDbContext>().UseNpgsql(connectionString).Options);
    }

    private static async Task<string> DatabaseWithChainAsync()
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateDatabaseAsync("tm_audit");
        await using var db = new Factory(connectionString).CreateDbContext();
        db.AuditActorOverride = AuditActor.System("protection test");
        for (var i = 1; i <= Entries; i++)
        {
            db.AuditAction("TestEntry", "Test", i.ToString(System.Globalization.CultureInfo.InvariantCulture), new { Number = i });
            await db.SaveChangesAsync();
        }

        return connectionString;
    }

    private static Task<AuditChainReport> VerifyAsync(string connectionString) => new AuditChainVerifier(new Factory(connectionString)).VerifyAsync();

    private static async Task SqlAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>What a superuser can do: switch the refusing trigger off around a statement.</summary>
    private static Task AsSuperuserBehindTheTriggerAsync(string connectionString, string sql) => SqlAsync(connectionString, $"""
        ALTER TABLE "AuditTrail" DISABLE TRIGGER audit_trail_no_update_or_delete;
        {sql};
        ALTER TABLE "AuditTrail" ENABLE TRIGGER audit_trail_no_update_or_delete;
        """);

    [Fact]
    public async Task A_fresh_chain_verifies()
    {
        var report = await VerifyAsync(await DatabaseWithChainAsync());
        Assert.True(report.Intact, report.Problem);
        Assert.Equal(Entries, report.EntriesChecked);
    }

    [Theory]
    [InlineData("""UPDATE "AuditTrail" SET "Changes" = '[]' WHERE "ChainSeq" = 3""")]
    [InlineData("""DELETE FROM "AuditTrail" WHERE "ChainSeq" = 3""")]
    [InlineData("""TRUNCATE "AuditTrail" """)]
    public async Task Update_delete_and_truncate_through_the_apps_connection_are_refused(string sql)
    {
        var connectionString = await DatabaseWithChainAsync();
        await using var db = new Factory(connectionString).CreateDbContext();

        var error = await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteSqlRawAsync(sql));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
        Assert.Contains("append-only", error.MessageText, StringComparison.Ordinal);
        Assert.True((await VerifyAsync(connectionString)).Intact);
        Assert.Equal(Entries, await db.AuditTrail.CountAsync());
    }

    [Fact]
    public async Task A_superuser_edit_behind_the_trigger_is_found_and_the_entry_named()
    {
        var connectionString = await DatabaseWithChainAsync();
        await AsSuperuserBehindTheTriggerAsync(connectionString, """UPDATE "AuditTrail" SET "Changes" = '{"Number":33}' WHERE "ChainSeq" = 3""");

        var report = await VerifyAsync(connectionString);

        Assert.False(report.Intact);
        Assert.Equal(3, report.FirstBrokenSeq);
        Assert.Equal(2, report.EntriesChecked);
        Assert.Contains("entry 3 (TestEntry Test 3) was altered", report.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_an_entry_in_the_middle_is_found()
    {
        var connectionString = await DatabaseWithChainAsync();
        await AsSuperuserBehindTheTriggerAsync(connectionString, """DELETE FROM "AuditTrail" WHERE "ChainSeq" = 4""");

        var report = await VerifyAsync(connectionString);

        Assert.Equal(4, report.FirstBrokenSeq);
        Assert.Contains("entry 4 is missing", report.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_edit_with_its_own_hash_recomputed_breaks_the_next_link()
    {
        var connectionString = await DatabaseWithChainAsync();
        await AsSuperuserBehindTheTriggerAsync(connectionString, """
            UPDATE "AuditTrail" SET "Changes" = '{"Number":33}' WHERE "ChainSeq" = 3;
            UPDATE "AuditTrail" t SET "Hash" = encode(sha256(convert_to(audit_trail_canonical(t), 'UTF8')), 'hex') WHERE "ChainSeq" = 3
            """);

        var report = await VerifyAsync(connectionString);

        // Entry 3 is consistent with itself now; entry 4 still holds the old hash of entry 3.
        Assert.Equal(4, report.FirstBrokenSeq);
        Assert.Equal(3, report.EntriesChecked);
        Assert.Contains("entry 4 does not link to entry 3", report.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_apps_own_role_holds_no_privilege_to_change_the_trail_even_with_the_trigger_off()
    {
        var connectionString = await DatabaseWithChainAsync();
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        var role = $"tm_app_{Environment.ProcessId}_{Interlocked.Increment(ref _roleCounter)}";
        const string password = "app role test password";
        // A careless deployment: the app's role was granted everything on every table.
        await SqlAsync(connectionString, $"""
            CREATE ROLE {role} LOGIN PASSWORD '{password}';
            GRANT CONNECT ON DATABASE "{database}" TO {role};
            GRANT USAGE ON SCHEMA public TO {role};
            GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO {role};
            """);

        await AuditGrants.ApplyAsync(connectionString, role);
        // Only the privileges stand now: the refusing trigger is off (as a superuser could leave it).
        await SqlAsync(connectionString, """ALTER TABLE "AuditTrail" DISABLE TRIGGER audit_trail_no_update_or_delete, DISABLE TRIGGER audit_trail_no_truncate""");

        var asApp = new NpgsqlConnectionStringBuilder(connectionString) { Username = role, Password = password, Pooling = false }.ConnectionString;
        await using (var db = new Factory(asApp).CreateDbContext())
        {
            // It still appends (the chain trigger runs as the app) and reads.
            db.AuditActorOverride = AuditActor.System("app role");
            db.AuditAction("TestEntry", "Test", "7", new { Number = 7 });
            await db.SaveChangesAsync();
            Assert.Equal(Entries + 1, await db.AuditTrail.CountAsync());

            foreach (var sql in new[] { """UPDATE "AuditTrail" SET "Reason" = 'x'""", """DELETE FROM "AuditTrail" WHERE "ChainSeq" = 2""", """TRUNCATE "AuditTrail" """ })
            {
                var error = await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteSqlRawAsync(sql));
                Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
                Assert.Contains("permission denied", error.MessageText, StringComparison.Ordinal);
            }
        }

        Assert.True((await VerifyAsync(connectionString)).Intact);
    }

    [Fact]
    public async Task Restricting_a_role_that_cannot_be_restrained_is_refused()
    {
        var connectionString = await DatabaseWithChainAsync();
        var owner = new NpgsqlConnectionStringBuilder(connectionString).Username!;

        var error = await Assert.ThrowsAsync<PostgresException>(() => AuditGrants.ApplyAsync(connectionString, owner));
        Assert.Contains("owns the audit trail or is a superuser", error.MessageText, StringComparison.Ordinal);
        await Assert.ThrowsAsync<PostgresException>(() => AuditGrants.ApplyAsync(connectionString, "no_such_role_here"));
    }

    [Fact]
    public async Task The_verify_command_exits_0_when_intact_and_1_naming_the_first_broken_entry()
    {
        var connectionString = await DatabaseWithChainAsync();

        var intact = await RunAsync(connectionString, "audit", "verify");
        Assert.True(intact.ExitCode == 0, intact.Output + intact.Errors);
        Assert.Contains($"intact: {Entries} entries checked", intact.Output, StringComparison.Ordinal);

        await AsSuperuserBehindTheTriggerAsync(connectionString, """UPDATE "AuditTrail" SET "UserName" = 'Someone Else' WHERE "ChainSeq" = 5""");
        var broken = await RunAsync(connectionString, "audit", "verify");
        Assert.Equal(1, broken.ExitCode);
        Assert.Contains("BROKEN at entry 5", broken.Output, StringComparison.Ordinal);

        var usage = await RunAsync(connectionString, "audit");
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("Usage: audit verify", usage.Errors, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output, string Errors)> RunAsync(string connectionString, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["ConnectionStrings__TrialManager"] = connectionString;
        info.Environment["TrialManager__MasterKey"] = Sealing.MasterKey.NewBase64();
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await output, await errors);
    }
}
