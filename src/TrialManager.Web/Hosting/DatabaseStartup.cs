using Microsoft.Extensions.Options;
using Npgsql;
using TrialManager.Web.Data;

namespace TrialManager.Web.Hosting;

/// <summary>Where the database is. Filled once at start by <see cref="DatabaseStartup"/>, before anything else touches the database.</summary>
public sealed class DatabaseEndpoint
{
    private string? _connectionString;

    public string ConnectionString => _connectionString
        ?? throw new InvalidOperationException("The database is not ready yet: DatabaseStartup has not run.");

    public bool IsEmbedded { get; private set; }

    /// <summary>Scripting needs a provider but no server; any syntactically valid connection string does.</summary>
    internal void UseForScripting() => Set("Host=127.0.0.1;Database=scripting", embedded: false);

    internal void Set(string connectionString, bool embedded)
    {
        _connectionString = WithStatementReuse(connectionString);
        IsEmbedded = embedded;
    }

    /// <summary>
    /// Lets Npgsql prepare the statements it sees repeatedly (the app's queries are few and hot), so PostgreSQL plans
    /// each once per connection instead of on every call. An explicit setting in the connection string wins.
    /// </summary>
    private static string WithStatementReuse(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxAutoPrepare = 100;
            builder.AutoPrepareMinUsages = 2;
        }

        return builder.ConnectionString;
    }
}

/// <summary>
/// Runs before the web server accepts requests: finds or starts the database, applies migrations when allowed,
/// refuses to start on a database with pending migrations otherwise, and seeds the demo into an empty one.
/// </summary>
public sealed class DatabaseStartup(
    IConfiguration configuration,
    IHostEnvironment environment,
    IOptions<TrialManagerOptions> options,
    DatabaseEndpoint endpoint,
    DatabaseMigrator migrator,
    IServiceProvider services,
    ILogger<DatabaseStartup> logger) : IHostedService
{
    public const string ConnectionStringName = "TrialManager";
    private const string EmbeddedDatabase = "trialmanager";
    private EmbeddedPostgres? _embedded;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await ResolveAsync(cancellationToken);
        var settings = options.Value;
        if (settings.MigrateOnStart ?? endpoint.IsEmbedded)
        {
            await migrator.MigrateAsync(endpoint.ConnectionString, cancellationToken);
            // Same as the 'migrate' command: a configured application role keeps only SELECT and INSERT on the audit trail.
            await Data.Audit.AuditGrants.ApplyConfiguredAsync(configuration, endpoint.ConnectionString, cancellationToken);
        }
        else
        {
            await RefusePendingMigrationsAsync(cancellationToken);
        }

        if (settings.SeedDemo ?? endpoint.IsEmbedded)
        {
            await using var scope = services.CreateAsyncScope();
            var seeder = scope.ServiceProvider.GetRequiredService<DemoSeeder>();
            await seeder.SeedIfEmptyAsync(DataDirectory(), cancellationToken);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_embedded is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await _embedded.StopAsync();
        }
    }

    /// <summary>Used by the command-line 'migrate' entry point too.</summary>
    public async Task ResolveAsync(CancellationToken cancellationToken)
    {
        var configured = configuration.GetConnectionString(ConnectionStringName);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            endpoint.Set(configured, embedded: false);
            return;
        }

        if (environment.IsProduction())
        {
            throw new InvalidOperationException(
                $"No database is configured. In Production set ConnectionStrings:{ConnectionStringName} " +
                $"(environment variable ConnectionStrings__{ConnectionStringName}); the embedded local PostgreSQL is only for development and demos.");
        }

        var dataDirectory = DataDirectory();
        _embedded = await EmbeddedPostgres.StartPersistentAsync(dataDirectory, options.Value.PostgresBinDirectory, logger, cancellationToken);
        await _embedded.EnsureDatabaseAsync(EmbeddedDatabase, cancellationToken: cancellationToken);
        endpoint.Set(_embedded.ConnectionString(EmbeddedDatabase), embedded: true);
        logger.LogInformation("Using the local PostgreSQL cluster in {DataDirectory} on 127.0.0.1:{Port}", dataDirectory, _embedded.Port);
    }

    private string DataDirectory() => options.Value.DataDirectory is { Length: > 0 } dir ? Path.GetFullPath(dir) : TrialManagerOptions.DefaultDataDirectory();

    private async Task RefusePendingMigrationsAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(endpoint.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        var applied = new HashSet<string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand("SELECT version FROM schema_migrations", connection);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                applied.Add(reader.GetString(0));
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // Nothing applied yet; every script is pending.
        }

        var pending = DatabaseMigrator.Scripts.Where(s => !applied.Contains(s.Version)).Select(s => s.Version).ToList();
        if (pending.Count > 0)
        {
            throw new InvalidOperationException(
                $"The database has {pending.Count} pending migration(s) ({string.Join(", ", pending)}). " +
                "Run 'dotnet run --project src/TrialManager.Web -- migrate' (or set TrialManager:MigrateOnStart=true) first.");
        }
    }
}
