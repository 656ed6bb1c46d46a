using System.Diagnostics;
using System.Globalization;
using Npgsql;
using TrialManager.Web.Hosting;

namespace TrialManager.Web.Tests.Infrastructure;

/// <summary>PostgreSQL's client tools (pg_dump, pg_restore) of the same installation as the server, run against a database.</summary>
public static class PostgresTools
{
    /// <summary>Runs <paramref name="tool"/> connected as <paramref name="connectionString"/> says (password in its environment); its standard output.</summary>
    public static async Task<string> RunAsync(string tool, string connectionString, params string[] arguments)
    {
        var connection = new NpgsqlConnectionStringBuilder(connectionString);
        var info = new ProcessStartInfo(Path.Combine(EmbeddedPostgres.FindBinDirectory(), tool))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-h", connection.Host!, "-p", connection.Port.ToString(CultureInfo.InvariantCulture), "-U", connection.Username! }.Concat(arguments))
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["PGPASSWORD"] = connection.Password;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{tool} exited with {process.ExitCode}: {await errors}");
        return await output;
    }
}
