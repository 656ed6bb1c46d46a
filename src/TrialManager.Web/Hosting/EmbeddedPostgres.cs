using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace TrialManager.Web.Hosting;

/// <summary>
/// A PostgreSQL cluster this process starts itself from the machine's PostgreSQL binaries: the app's local default
/// when no connection string is configured, and the test fixture's throwaway server. It listens on loopback only,
/// on a free port, with a generated superuser password (scram-sha-256). PostgreSQL refuses to run as root, so when
/// this process is root the server runs as the 'postgres' OS user (runuser) and its folders are handed to that user.
/// </summary>
public sealed class EmbeddedPostgres : IAsyncDisposable
{
    private const string SuperUser = "trialmanager";
    private readonly string _root;
    private readonly string _binDirectory;
    private readonly string? _runAsUser;
    private readonly bool _throwaway;
    private readonly bool _durable;
    private bool _startedHere;

    private EmbeddedPostgres(string root, string binDirectory, string? runAsUser, bool throwaway, bool durable)
    {
        _root = root;
        _binDirectory = binDirectory;
        _runAsUser = runAsUser;
        _throwaway = throwaway;
        _durable = durable;
    }

    public string BinDirectory => _binDirectory;

    public string DataDirectory => Path.Combine(_root, "pgdata");

    public int Port { get; private set; }

    public string Password { get; private set; } = "";

    /// <summary>Starts (initialising first if needed) a cluster kept in <paramref name="root"/> between runs.</summary>
    public static Task<EmbeddedPostgres> StartPersistentAsync(string root, string? binDirectory, ILogger logger, CancellationToken cancellationToken = default) =>
        StartAsync(root, binDirectory, throwaway: false, durable: true, logger, cancellationToken);

    /// <summary>
    /// Starts a fresh cluster in a new temporary folder, deleted on dispose. Tuned for speed (no fsync) unless
    /// <paramref name="durable"/>, which benchmarks use so that commits cost what they cost in production.
    /// </summary>
    public static Task<EmbeddedPostgres> StartThrowawayAsync(string? binDirectory, ILogger logger, bool durable = false, CancellationToken cancellationToken = default)
    {
        var root = Path.Combine(Path.GetTempPath(), "trialmanager-pg-" + Guid.NewGuid().ToString("N")[..12]);
        return StartAsync(root, binDirectory, throwaway: true, durable, logger, cancellationToken);
    }

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = SuperUser,
        Password = Password,
        Database = database,
        // The server is local and ours; pooling keeps tests and the demo quick.
        Pooling = true,
        MaxPoolSize = 50,
    }.ConnectionString;

    /// <summary>Creates the database if it does not exist (idempotent, safe to call on every start).</summary>
    public async Task EnsureDatabaseAsync(string database, string? template = null, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.Add(new NpgsqlParameter { Value = database });
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            return;
        }

        var sql = $"CREATE DATABASE {QuoteIdentifier(database)}" + (template is null ? "" : $" TEMPLATE {QuoteIdentifier(template)}");
        await using var create = new NpgsqlCommand(sql, connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
    }

    public static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public async Task StopAsync()
    {
        if (!_startedHere)
        {
            return;
        }

        _startedHere = false;
        await RunAsync(PgCtl, ["-D", DataDirectory, "-m", "fast", "-w", "stop"], CancellationToken.None, throwOnError: false);
    }


    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_throwaway)
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless; never fail a test run over it.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private string PgCtl => Path.Combine(_binDirectory, "pg_ctl");

    private static async Task<EmbeddedPostgres> StartAsync(string root, string? binDirectory, bool throwaway, bool durable, ILogger logger, CancellationToken cancellationToken)
    {
        var bin = binDirectory is { Length: > 0 } ? binDirectory : FindBinDirectory();
        var runAs = Environment.IsPrivilegedProcess ? "postgres" : null;
        var cluster = new EmbeddedPostgres(root, bin, runAs, throwaway, durable);
        await cluster.InitialiseAsync(logger, cancellationToken);
        await cluster.StartServerAsync(cancellationToken);
        return cluster;
    }

    /// <summary>Debian keeps server binaries in /usr/lib/postgresql/VERSION/bin, off the PATH; take the newest.</summary>
    public static string FindBinDirectory()
    {
        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(dir => (dir, version: int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1))
                .Where(x => x.version > 0 && File.Exists(Path.Combine(x.dir, "bin", "initdb")))
                .OrderByDescending(x => x.version)
                .Select(x => Path.Combine(x.dir, "bin"))
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them (Debian: apt-get install postgresql) " +
            "or set TrialManager:Embedded:PostgresBinDirectory, or configure ConnectionStrings:TrialManager to use an existing server.");
    }

    private async Task InitialiseAsync(ILogger logger, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_root);
        var passwordFile = Path.Combine(_root, "postgres.password");
        var portFile = Path.Combine(_root, "postgres.port");
        if (File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            Password = (await File.ReadAllTextAsync(passwordFile, cancellationToken)).Trim();
            Port = int.Parse((await File.ReadAllTextAsync(portFile, cancellationToken)).Trim(), CultureInfo.InvariantCulture);
            return;
        }

        logger.LogInformation("Initialising a local PostgreSQL cluster in {DataDirectory}", DataDirectory);
        Password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        await WritePrivateAsync(passwordFile, Password, cancellationToken);
        Port = FreeLoopbackPort();
        await WritePrivateAsync(portFile, Port.ToString(CultureInfo.InvariantCulture), cancellationToken);

        // initdb reads the password from a file that the server's OS user must be able to read; it is deleted after.
        var initPasswordFile = Path.Combine(_root, "initdb.pw");
        await WritePrivateAsync(initPasswordFile, Password, cancellationToken);
        Directory.CreateDirectory(DataDirectory);
        if (_runAsUser is not null)
        {
            PrivateFile.AllowTraverse(_root);
            await RunAsync("chown", ["-R", _runAsUser, DataDirectory, initPasswordFile], cancellationToken, direct: true);
        }

        try
        {
            await RunAsync(Path.Combine(_binDirectory, "initdb"),
                ["-D", DataDirectory, "-U", SuperUser, "--pwfile", initPasswordFile, "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C", "--no-instructions"],
                cancellationToken);
        }
        finally
        {
            File.Delete(initPasswordFile);
        }

        var settings = new List<string>
        {
            "listen_addresses = '127.0.0.1'",
            $"port = {Port.ToString(CultureInfo.InvariantCulture)}",
            // The socket lives in the data folder so no system folder (or root-owned /var/run) is needed.
            $"unix_socket_directories = '{DataDirectory.Replace("'", "''", StringComparison.Ordinal)}'",
            "max_connections = 200",
            "logging_collector = off",
        };
        if (!_durable)
        {
            // Tests want speed; a crash of a throwaway cluster loses nothing anyone needs.
            settings.AddRange(["fsync = off", "synchronous_commit = off", "full_page_writes = off", "shared_buffers = 128MB"]);
        }

        await File.AppendAllLinesAsync(Path.Combine(DataDirectory, "postgresql.conf"), settings, cancellationToken);
    }

    private async Task StartServerAsync(CancellationToken cancellationToken)
    {
        var status = await RunAsync(PgCtl, ["-D", DataDirectory, "status"], cancellationToken, throwOnError: false);
        if (status == 0)
        {
            // Left running by an earlier process that did not stop it; use it as it is.
            return;
        }

        if (!IsPortFree(Port))
        {
            Port = FreeLoopbackPort();
            await WritePrivateAsync(Path.Combine(_root, "postgres.port"), Port.ToString(CultureInfo.InvariantCulture), cancellationToken);
            await File.AppendAllLinesAsync(Path.Combine(DataDirectory, "postgresql.conf"), [$"port = {Port.ToString(CultureInfo.InvariantCulture)}"], cancellationToken);
        }

        var log = Path.Combine(DataDirectory, "server.log");
        await RunAsync(PgCtl, ["-D", DataDirectory, "-l", log, "-w", "-t", "120", "start"], cancellationToken);
        _startedHere = true;
    }

    private async Task<int> RunAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken, bool throwOnError = true, bool direct = false)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // The server's OS user may not be able to enter our working folder.
            WorkingDirectory = "/",
        };
        if (_runAsUser is not null && !direct)
        {
            info.FileName = "runuser";
            info.ArgumentList.Add("-u");
            info.ArgumentList.Add(_runAsUser);
            info.ArgumentList.Add("--");
            info.ArgumentList.Add(program);
        }
        else
        {
            info.FileName = program;
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (throwOnError && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} failed with exit code {process.ExitCode}: {await stderr}{await stdout}");
        }

        return process.ExitCode;
    }

    private static async Task WritePrivateAsync(string path, string content, CancellationToken cancellationToken)
    {
        await File.WriteAllTextAsync(path, content, cancellationToken);
        PrivateFile.RestrictToOwner(path);
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsPortFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
