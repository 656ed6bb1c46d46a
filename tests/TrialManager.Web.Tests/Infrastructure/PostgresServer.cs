using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using TrialManager.Web.Data;
using TrialManager.Web.Hosting;

namespace TrialManager.Web.Tests.Infrastructure;

/// <summary>
/// One real PostgreSQL server for the whole test run: a throwaway cluster started here (the same code the app uses for
/// its local default), or the server named by TRIALMANAGER_TEST_DATABASE. A template database is migrated once; each
/// test class gets its own copy (CREATE DATABASE ... TEMPLATE), so classes never see each other's data.
/// </summary>
public sealed class PostgresServer
{
    public const string EnvironmentVariable = "TRIALMANAGER_TEST_DATABASE";
    private const string TemplateName = "tm_test_template";
    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartAsync);
    private static int _counter;
    private readonly NpgsqlConnectionStringBuilder _admin;

    private PostgresServer(string adminConnectionString, EmbeddedPostgres? cluster)
    {
        _admin = new NpgsqlConnectionStringBuilder(adminConnectionString);
        Cluster = cluster;
    }

    /// <summary>The throwaway cluster, when the tests started one (null when an external server is used).</summary>
    public EmbeddedPostgres? Cluster { get; }

    public static Task<PostgresServer> GetAsync() => Shared.Value;

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder(_admin.ConnectionString) { Database = database }.ConnectionString;

    /// <summary>A new, migrated, empty database for one test class.</summary>
    public async Task<string> CreateDatabaseAsync(string? prefix = null)
    {
        var name = $"{prefix ?? "tm_test"}_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}".ToLowerInvariant();
        await ExecuteAsync($"CREATE DATABASE {EmbeddedPostgres.QuoteIdentifier(name)} TEMPLATE {TemplateName}");
        return ConnectionString(name);
    }

    /// <summary>A new database with nothing in it (no migrations), for tests of the migrations themselves.</summary>
    public async Task<string> CreateEmptyDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}".ToLowerInvariant();
        await ExecuteAsync($"CREATE DATABASE {EmbeddedPostgres.QuoteIdentifier(name)} TEMPLATE template0");
        return ConnectionString(name);
    }

    public async Task ExecuteAsync(string sql, string database = "postgres")
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<PostgresServer> StartAsync()
    {
        var external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        PostgresServer server;
        if (!string.IsNullOrWhiteSpace(external))
        {
            server = new PostgresServer(external, null);
        }
        else
        {
            var cluster = await EmbeddedPostgres.StartThrowawayAsync(null, NullLogger.Instance);
            // Stop the server when the test process ends, however the run went.
            AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.DisposeAsync().AsTask().GetAwaiter().GetResult();
            server = new PostgresServer(cluster.ConnectionString("postgres"), cluster);
        }

        await server.ExecuteAsync($"DROP DATABASE IF EXISTS {TemplateName}");
        await server.ExecuteAsync($"CREATE DATABASE {TemplateName} TEMPLATE template0");
        var template = server.ConnectionString(TemplateName);
        await new DatabaseMigrator(NullLogger<DatabaseMigrator>.Instance).MigrateAsync(template);
        // CREATE DATABASE ... TEMPLATE needs the template to have no open connections.
        NpgsqlConnection.ClearPool(new NpgsqlConnection(template));
        return server;
    }
}
