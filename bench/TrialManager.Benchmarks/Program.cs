using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace TrialManager.Benchmarks;

/// <summary>
/// One command per benchmark; each prints a markdown table and records it, with date and commit, in bench/results/.
///   dotnet run -c Release --project bench/TrialManager.Benchmarks -- randomization|casebook|scale [--quick]
///   dotnet run -c Release --project bench/TrialManager.Benchmarks -- soak [--minutes N]   (exits 1 when the soak fails)
/// (A named class, not top-level statements: the web app's own Program is referenced here.)
/// </summary>
internal static class BenchmarkCommand
{
    public static async Task<int> Main(string[] args)
    {
        var quick = args.Contains("--quick");
        var name = args.FirstOrDefault(a => !a.StartsWith('-')) ?? "";
        string table;
        var status = 0;
        var title = "";
        switch (name)
        {
            case "randomization":
                table = await RandomizationBenchmark.RunAsync(quick);
                break;
            case "casebook":
                table = await CasebookBenchmark.RunAsync(quick);
                break;
            case "scale":
                table = await ScaleBenchmark.RunAsync(quick);
                break;
            case "generate":
                return await Generation.GenerateCommand.RunAsync(args);
            case "soak" when Soak.SoakCommand.Parse(args) is { } soak:
                var result = await Soak.SoakRun.RunAsync(soak);
                title = string.Create(CultureInfo.InvariantCulture, $"soak ({soak.Duration.TotalMinutes:0.#} min)");
                table = result.Markdown();
                status = result.Passed ? 0 : 1;
                Console.Error.WriteLine(result.Summary);
                break;
            default:
                Console.Error.WriteLine("Usage: dotnet run -c Release --project bench/TrialManager.Benchmarks -- randomization|casebook|scale [--quick]");
                Console.Error.WriteLine("       dotnet run -c Release --project bench/TrialManager.Benchmarks -- " + Generation.GenerateCommand.Usage);
                Console.Error.WriteLine("       dotnet run -c Release --project bench/TrialManager.Benchmarks -- " + Soak.SoakCommand.Usage);
                return 2;
        }

        var commit = Git("rev-parse --short HEAD");
        var dirty = Git("status --porcelain").Length > 0 ? " (with uncommitted changes)" : "";
        var now = DateTimeOffset.UtcNow;
        var report = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"## {(title.Length > 0 ? title : name)}{(quick ? " (quick)" : "")}: {now:yyyy-MM-dd HH:mm} UTC, commit {commit}{dirty}")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}.")
            .AppendLine()
            .Append(table)
            .ToString();
        Console.WriteLine(report);

        var results = Path.Combine(RepositoryRoot(), "bench", "results");
        Directory.CreateDirectory(results);
        var file = Path.Combine(results, $"{name}.md");
        await File.AppendAllTextAsync(file, report + Environment.NewLine);
        Console.Error.WriteLine($"Recorded in {file}");
        return status;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TrialManager.sln")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }

    private static string Git(string arguments)
    {
        try
        {
            var info = new ProcessStartInfo("git", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryRoot() };
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return output;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
