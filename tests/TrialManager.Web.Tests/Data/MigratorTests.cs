using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using TrialManager.Web.Data;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Data;

public class MigratorTests
{
    private static readonly DatabaseMigrator Migrator = new(NullLogger<DatabaseMigrator>.Instance);

    private static IReadOnlyList<string> AllVersions => [.. DatabaseMigrator.Scripts.Select(s => s.Version)];

    [Fact]
    public async Task Running_twice_applies_every_script_once_and_nothing_the_second_time()
    {
        var database = await (await PostgresServer.GetAsync()).CreateEmptyDatabaseAsync("tm_migrate_twice");

        var first = await Migrator.MigrateAsync(database);
        var second = await Migrator.MigrateAsync(database);

        Assert.NotEmpty(AllVersions);
        Assert.Equal(AllVersions, first);
        Assert.Empty(second);
        var recorded = await RecordedAsync(database);
        Assert.Equal(DatabaseMigrator.Scripts.Select(s => (s.Version, s.Checksum)), recorded);
    }

    [Fact]
    public async Task An_applied_migration_whose_checksum_changed_is_refused_with_a_clear_message()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("tm_migrate_tampered");
        var version = DatabaseMigrator.Scripts[0].Version;
        await ExecuteAsync(database, $"UPDATE schema_migrations SET checksum = 'edited-after-the-fact' WHERE version = '{version}'");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Migrator.MigrateAsync(database));

        Assert.Contains($"Migration {version} was changed after it was applied", error.Message, StringComparison.Ordinal);
        Assert.Contains("edited-after-the-fact", error.Message, StringComparison.Ordinal);
        Assert.Contains("Write a new migration", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_app_refuses_to_start_on_an_unmigrated_database_and_names_the_migrate_command()
    {
        var database = await (await PostgresServer.GetAsync()).CreateEmptyDatabaseAsync("tm_migrate_pending");

        var message = StartupFailure(database);

        Assert.Contains($"{AllVersions.Count} pending migration(s)", message, StringComparison.Ordinal);
        Assert.Contains("dotnet run --project src/TrialManager.Web -- migrate", message, StringComparison.Ordinal);
        // Refusing means refusing: nothing was applied behind the operator's back.
        Assert.Empty(await TablesAsync(database));
    }

    [Fact]
    public async Task The_app_refuses_to_start_when_only_the_newest_migration_is_pending()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("tm_migrate_one_pending");
        var newest = AllVersions[^1];
        await ExecuteAsync(database, $"DELETE FROM schema_migrations WHERE version = '{newest}'");

        var message = StartupFailure(database);

        Assert.Contains($"1 pending migration(s) ({newest})", message, StringComparison.Ordinal);
        Assert.Contains("-- migrate", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_migrators_racing_on_one_fresh_database_both_succeed_and_apply_each_script_once()
    {
        var server = await PostgresServer.GetAsync();
        for (var round = 0; round < 3; round++)
        {
            var database = await server.CreateEmptyDatabaseAsync("tm_migrate_race");
            using var start = new Barrier(2);
            var racers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
            {
                start.SignalAndWait();
                return await new DatabaseMigrator(NullLogger<DatabaseMigrator>.Instance).MigrateAsync(database);
            })).ToList();

            var results = await Task.WhenAll(racers);

            Assert.Equal(AllVersions, results.SelectMany(r => r).Order(StringComparer.Ordinal));
            Assert.Equal(AllVersions.Count, (await RecordedAsync(database)).Count);
        }
    }

    /// <summary>Starts the real app on the database with MigrateOnStart off and returns why it would not start.</summary>
    private static string StartupFailure(string connectionString)
    {
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("ConnectionStrings:TrialManager", connectionString);
            builder.UseSetting("TrialManager:MigrateOnStart", "false");
            builder.UseSetting("TrialManager:SeedDemo", "false");
            builder.ConfigureLogging(logging => logging.ClearProviders());
        });

        var error = Record.Exception(() => factory.Services);
        Assert.NotNull(error);
        var messages = new List<string>();
        for (var e = error; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }

        if (error is AggregateException aggregate)
        {
            messages.AddRange(aggregate.Flatten().InnerExceptions.Select(e => e.Message));
        }

        return string.Join(Environment.NewLine, messages);
    }

    private static async Task<List<(string Version, string Checksum)>> RecordedAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT version, checksum FROM schema_migrations ORDER BY version", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1)));
        }

        return rows;
    }

    private static async Task<List<string>> TablesAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var tables = new List<string>();
        while (await reader.ReadAsync())
        {
            tables.Add(reader.GetString(0));
        }

        return tables;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
