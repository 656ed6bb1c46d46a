using System.Globalization;

namespace TrialManager.Benchmarks.Soak;

/// <summary>The command line of the soak: <c>soak [--minutes N] [--users N]</c>.</summary>
public static class SoakCommand
{
    public const string Usage = "soak [--minutes N (default 30)] [--users N (default 16)]";

    /// <summary>The options the arguments ask for, or null (with a message) when they cannot be read.</summary>
    public static SoakOptions? Parse(IReadOnlyList<string> args)
    {
        var options = new SoakOptions { Progress = Console.Error };
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--minutes" when i + 1 < args.Count && double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out var minutes) && minutes is > 0 and <= 24 * 60:
                    options = options with { Duration = TimeSpan.FromMinutes(minutes) };
                    i++;
                    break;
                case "--users" when i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var users) && users is > 0 and <= 64:
                    options = options with { Users = users };
                    i++;
                    break;
                case "soak":
                    break;
                default:
                    Console.Error.WriteLine($"Cannot read '{args[i]}'{(i + 1 < args.Count ? $" {args[i + 1]}" : "")}. Usage: {Usage}");
                    return null;
            }
        }

        return options;
    }
}
