using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using TrialManager.Web.Hosting;

namespace TrialManager.Benchmarks.Generation;

/// <summary>
/// A generated trial kept between runs: a durable PostgreSQL cluster in a cache folder, one database per set of
/// options, the master key and the accounts' password beside it (owner-only files). A database counts as generated
/// only once its "complete" marker is written after a successful run; anything else found is dropped and generated
/// again. Benchmarks never change the dataset itself: they work on copies (<see cref="CopyAsync"/>).
/// </summary>
public sealed class ScaleDataset : IAsyncDisposable
{
    /// <summary>Raise when the generator changes what it writes, so older cached datasets are not reused.</summary>
    public const int FormatVersion = 1;

    private ScaleDataset(EmbeddedPostgres cluster, ScaleOptions options, string databaseName, string masterKey, ScaleSummary summary, GenerationProfile? profile)
    {
        Cluster = cluster;
        Options = options;
        DatabaseName = databaseName;
        MasterKey = masterKey;
        Summary = summary;
        Profile = profile;
    }

    /// <summary><c>$XDG_CACHE_HOME/trialmanager-bench</c>, else <c>~/.cache/trialmanager-bench</c>; as root <c>/var/cache/trialmanager-bench</c>, because the server then runs as the postgres user, who cannot enter root's home.</summary>
    public static string Folder
    {
        get
        {
            var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
                : Environment.IsPrivilegedProcess ? "/var/cache"
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(cache, "trialmanager-bench");
        }
    }

    public EmbeddedPostgres Cluster { get; }

    /// <summary>The options it was generated with (the password filled in).</summary>
    public ScaleOptions Options { get; }

    public string DatabaseName { get; }

    /// <summary>The master key the trial's data keys are wrapped with: every app host on the dataset or a copy needs it.</summary>
    public string MasterKey { get; }

    public string Password => Options.Password;

    public string TrialCode => Options.TrialCode;

    public ScaleSummary Summary { get; }

    /// <summary>True when this call generated it; false when it was found complete.</summary>
    public bool Generated => Profile is not null;

    /// <summary>Where the generating run's time went (only when this call generated it).</summary>
    public GenerationProfile? Profile { get; }

    public string ConnectionString => Cluster.ConnectionString(DatabaseName);

    /// <summary>One database per set of data-shaping options; anything beyond the usual ones adds a short hash.</summary>
    public static string DatabaseNameFor(ScaleOptions options)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"scale_s{options.Sites}_p{options.Participants}_ae{options.AdverseEvents}_pool{options.EligiblePool}");
        var usual = new ScaleOptions();
        var rest = string.Create(CultureInfo.InvariantCulture, $"{options.Seed}|{options.ScreenFailures}|{options.TrialCode}|{options.SitePrefix}|{options.EnrolmentMonths}|{options.EndedEarlyShare}|{options.Now:O}");
        var usualRest = string.Create(CultureInfo.InvariantCulture, $"{usual.Seed}|{usual.ScreenFailures}|{usual.TrialCode}|{usual.SitePrefix}|{usual.EnrolmentMonths}|{usual.EndedEarlyShare}|{usual.Now:O}");
        if (rest != usualRest)
        {
            name += "_" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(rest)))[..8];
        }

        return name + string.Create(CultureInfo.InvariantCulture, $"_v{FormatVersion}");
    }

    /// <summary>Starts the cluster and returns the dataset for <paramref name="options"/>, generating it first if it is not complete.</summary>
    public static async Task<ScaleDataset> EnsureAsync(ScaleOptions options, IProgress<GenerationProgress>? progress, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(Folder);
        var masterKey = await SecretAsync("master.key", Web.Sealing.MasterKey.NewBase64, cancellationToken);
        var password = await SecretAsync("accounts.password", () => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), cancellationToken);
        options = options with { Password = password };
        var database = DatabaseNameFor(options);
        var marker = Path.Combine(Folder, database + ".complete");
        var cluster = await EmbeddedPostgres.StartPersistentAsync(Path.Combine(Folder, "postgres"), null, NullLogger.Instance, cancellationToken);
        try
        {
            if (File.Exists(marker) && await ExistsAsync(cluster, database, cancellationToken))
            {
                var summary = JsonSerializer.Deserialize<ScaleSummary>(await File.ReadAllTextAsync(marker, cancellationToken))
                    ?? throw new InvalidOperationException($"{marker} is empty.");
                return new ScaleDataset(cluster, options, database, masterKey, summary, profile: null);
            }

            // A database without its marker is what a failed or interrupted run left: start again.
            File.Delete(marker);
            await DropAsync(cluster, database, CancellationToken.None);
            await cluster.EnsureDatabaseAsync(database, cancellationToken: cancellationToken);
            try
            {
                ScaleSummary summary;
                GenerationProfile profile;
                await using (var host = new ScaleHost(cluster.ConnectionString(database), masterKey))
                {
                    host.Profile.PostgresDataDirectory = cluster.DataDirectory;
                    summary = await ScaleDataGenerator.RunAsync(host.Services, options, progress, cancellationToken);
                    profile = host.Profile;
                }

                // A template database must have no open connections, and the app's pool keeps some.
                NpgsqlConnection.ClearAllPools();
                await File.WriteAllTextAsync(marker, JsonSerializer.Serialize(summary), CancellationToken.None);
                return new ScaleDataset(cluster, options, database, masterKey, summary, profile);
            }
            catch
            {
                NpgsqlConnection.ClearAllPools();
                await DropAsync(cluster, database, CancellationToken.None);
                throw;
            }
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>A fresh copy of the dataset (replacing any earlier copy of that name), for a benchmark to change freely.</summary>
    public async Task<string> CopyAsync(string database, CancellationToken cancellationToken = default)
    {
        await DropAsync(Cluster, database, cancellationToken);
        await Cluster.EnsureDatabaseAsync(database, DatabaseName, cancellationToken);
        return Cluster.ConnectionString(database);
    }

    public async Task DropCopyAsync(string database, CancellationToken cancellationToken = default) => await DropAsync(Cluster, database, cancellationToken);

    public ValueTask DisposeAsync() => Cluster.DisposeAsync();

    private static async Task<string> SecretAsync(string fileName, Func<string> create, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Folder, fileName);
        if (File.Exists(path))
        {
            return (await File.ReadAllTextAsync(path, cancellationToken)).Trim();
        }

        var value = create();
        await File.WriteAllTextAsync(path, value, cancellationToken);
        PrivateFile.RestrictToOwner(path);
        return value;
    }

    private static async Task<bool> ExistsAsync(EmbeddedPostgres cluster, string database, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString("postgres"));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = database });
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    private static async Task DropAsync(EmbeddedPostgres cluster, string database, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString("postgres"));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {EmbeddedPostgres.QuoteIdentifier(database)} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
