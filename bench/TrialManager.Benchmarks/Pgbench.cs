using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace TrialManager.Benchmarks;

/// <summary>PostgreSQL's own pgbench (TPC-B-like) against the same server, as the yardstick for database-bound work.</summary>
internal static partial class Pgbench
{
    public static async Task InitialiseAsync(string binDirectory, string connectionString, int scale)
    {
        await RunAsync(binDirectory, connectionString, ["-i", "-q", "-s", scale.ToString(CultureInfo.InvariantCulture)]);
    }

    /// <summary>Transactions per second (excluding connection set-up) and transactions done, with <paramref name="clients"/> clients for <paramref name="seconds"/>.</summary>
    public static async Task<(double Tps, long Transactions)> RunAsync(string binDirectory, string connectionString, int clients, int seconds)
    {
        var output = await RunAsync(binDirectory, connectionString,
            ["-n", "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", Math.Min(clients, Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture), "-T", seconds.ToString(CultureInfo.InvariantCulture)]);
        var match = TpsLine().Match(output);
        var done = DoneLine().Match(output);
        return match.Success && done.Success
            ? (double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(done.Groups[1].Value, CultureInfo.InvariantCulture))
            : throw new InvalidOperationException("pgbench printed no tps: " + output);
    }

    private static async Task<string> RunAsync(string binDirectory, string connectionString, IReadOnlyList<string> arguments)
    {
        var connection = new NpgsqlConnectionStringBuilder(connectionString);
        var info = new ProcessStartInfo(Path.Combine(binDirectory, "pgbench")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments.Concat(["-h", connection.Host!, "-p", connection.Port.ToString(CultureInfo.InvariantCulture), "-U", connection.Username!, connection.Database!]))
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["PGPASSWORD"] = connection.Password;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pgbench failed: {await stderr}");
        }

        return await stdout + await stderr;
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsLine();

    [GeneratedRegex(@"number of transactions actually processed: ([0-9]+)")]
    private static partial Regex DoneLine();
}
