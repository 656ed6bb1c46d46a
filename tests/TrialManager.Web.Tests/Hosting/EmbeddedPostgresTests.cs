using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using TrialManager.Web.Hosting;

namespace TrialManager.Web.Tests.Hosting;

/// <summary>The app's local default: its own PostgreSQL cluster in a data folder, kept between runs.</summary>
public class EmbeddedPostgresTests
{
    [Fact]
    public async Task A_persistent_cluster_initialises_restarts_with_the_same_password_and_data_and_moves_off_a_taken_port()
    {
        var root = Path.Combine(Path.GetTempPath(), "tm-embedded-test-" + Guid.NewGuid().ToString("N")[..10]);
        EmbeddedPostgres? cluster = null;
        try
        {
            cluster = await EmbeddedPostgres.StartPersistentAsync(root, null, NullLogger.Instance);
            Assert.True(File.Exists(Path.Combine(cluster.DataDirectory, "PG_VERSION")));
            var password = cluster.Password;
            var port = cluster.Port;
            Assert.False(string.IsNullOrWhiteSpace(password));
            await cluster.EnsureDatabaseAsync("kept");
            await cluster.EnsureDatabaseAsync("kept"); // idempotent
            await ExecuteAsync(cluster.ConnectionString("kept"), "CREATE TABLE memory (note text); INSERT INTO memory VALUES ('still here')");
            await StopAsync(cluster);

            // Same folder again: no new cluster, the same password, the same port (it is free) and the same data.
            cluster = await EmbeddedPostgres.StartPersistentAsync(root, null, NullLogger.Instance);
            Assert.Equal(password, cluster.Password);
            Assert.Equal(port, cluster.Port);
            Assert.Equal("still here", await ScalarAsync(cluster.ConnectionString("kept"), "SELECT note FROM memory"));
            await StopAsync(cluster);

            // Someone else took the port meanwhile: the cluster starts on a new one and remembers it.
            using (var squatter = new TcpListener(IPAddress.Loopback, port))
            {
                squatter.Start();
                cluster = await EmbeddedPostgres.StartPersistentAsync(root, null, NullLogger.Instance);
                Assert.NotEqual(port, cluster.Port);
                Assert.Equal(password, cluster.Password);
                Assert.Equal("still here", await ScalarAsync(cluster.ConnectionString("kept"), "SELECT note FROM memory"));
                Assert.Equal(cluster.Port.ToString(CultureInfo.InvariantCulture), (await File.ReadAllTextAsync(Path.Combine(root, "postgres.port"))).Trim());
            }

            // The password is a secret: only its owner may read the file that keeps it.
            if (!OperatingSystem.IsWindows())
            {
                var mode = File.GetUnixFileMode(Path.Combine(root, "postgres.password"));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
            }
        }
        finally
        {
            if (cluster is not null)
            {
                await StopAsync(cluster);
            }

            TryDelete(root);
        }
    }

    [Fact]
    public void In_production_a_missing_connection_string_is_a_clear_start_up_error()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "tm-production-test-" + Guid.NewGuid().ToString("N")[..10]);
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Production");
            builder.UseSetting("ConnectionStrings:TrialManager", "");
            builder.UseSetting("TrialManager:DataDirectory", dataDirectory);
            builder.ConfigureLogging(logging => logging.ClearProviders());
        });

        var error = Record.Exception(() => factory.Services);

        Assert.NotNull(error);
        var messages = string.Join(" | ", Flatten(error).Select(e => e.Message));
        Assert.Contains("No database is configured. In Production set ConnectionStrings:TrialManager", messages, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings__TrialManager", messages, StringComparison.Ordinal);
        // It did not quietly fall back to starting a local cluster.
        Assert.False(Directory.Exists(dataDirectory), "A production start without a connection string created a local cluster.");
    }

    private static IEnumerable<Exception> Flatten(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            yield return e;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Flatten))
                {
                    yield return inner;
                }
            }
        }
    }

    private static async Task StopAsync(EmbeddedPostgres cluster)
    {
        // Only this cluster's pools: other tests run against the shared test server at the same time.
        foreach (var database in new[] { "postgres", "kept" })
        {
            NpgsqlConnection.ClearPool(new NpgsqlConnection(cluster.ConnectionString(database)));
        }

        await cluster.StopAsync();
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    private static void TryDelete(string root)
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
