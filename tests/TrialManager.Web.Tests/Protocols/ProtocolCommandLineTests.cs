using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Protocols;

/// <summary>The `protocol import` command, run as a real process of the built app against this class's database.</summary>
public class ProtocolCommandLineTests(TrialApp app) : IClassFixture<TrialApp>
{
    private async Task<(int ExitCode, string Output, string Errors)> RunAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["ConnectionStrings__TrialManager"] = app.ConnectionString;
        info.Environment["TrialManager__MasterKey"] = app.MasterKeyBase64;
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await output, await errors);
    }

    private static string WriteTemp(string name, string content)
    {
        var directory = Directory.CreateTempSubdirectory("tm-protocol-");
        var path = Path.Combine(directory.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static string Shipped(string file) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "protocols", file));

    [Fact]
    public async Task An_invalid_file_prints_each_error_with_its_place_and_imports_nothing()
    {
        var path = WriteTemp("broken.yaml", Shipped("lsd-gad.yaml").Replace("block_sizes: [3, 6]", "block_sizes: [4, 6]", StringComparison.Ordinal));

        var (exit, output, errors) = await RunAsync("protocol", "import", path);

        Assert.Equal(1, exit);
        Assert.Matches(@"broken\.yaml:\d+:\d+: randomization\.block_sizes\[0\]: Block size 4 is not a multiple", errors);
        Assert.Contains("nothing imported", output, StringComparison.Ordinal);
        Assert.Equal(0, await app.WithDbAsync(db => db.Trials.CountAsync(t => t.Code == "LSD-GAD-01")));
    }

    [Fact]
    public async Task A_valid_file_is_checked_then_imported_once()
    {
        var path = WriteTemp("lsd.yaml", Shipped("lsd-gad.yaml").Replace("code: LSD-GAD-01", "code: LSD-CLI-01", StringComparison.Ordinal));

        var check = await RunAsync("protocol", "import", path, "--check");
        Assert.Equal(0, check.ExitCode);
        Assert.Contains("importing would create the trial", check.Output, StringComparison.Ordinal);
        Assert.Equal(0, await app.WithDbAsync(db => db.Trials.CountAsync(t => t.Code == "LSD-CLI-01")));

        var import = await RunAsync("protocol", "import", path);
        Assert.Equal(0, import.ExitCode);
        Assert.Contains("imported as a new trial", import.Output, StringComparison.Ordinal);

        var again = await RunAsync("protocol", "import", path);
        Assert.Contains("already protocol version 1", again.Output, StringComparison.Ordinal);
        var versions = await app.WithDbAsync(db => db.ProtocolVersions.Where(v => v.Trial!.Code == "LSD-CLI-01").Select(v => v.ImportedBy).ToListAsync());
        Assert.Equal(["command-line"], versions);
    }

    [Fact]
    public async Task Wrong_usage_explains_itself()
    {
        var (exit, _, errors) = await RunAsync("protocol", "export");
        Assert.Equal(2, exit);
        Assert.Contains("Usage: protocol import", errors, StringComparison.Ordinal);
    }
}
