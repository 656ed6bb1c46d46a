using System.Diagnostics;
using System.Globalization;

namespace TrialManager.Benchmarks;

/// <summary>
/// CPU time used by this process and by the PostgreSQL server's processes (the postmaster and its children, read
/// from /proc), so a benchmark can say where an operation's time goes: in the app or in the database. On a shared,
/// noisy machine CPU time per operation is steadier than wall time.
/// </summary>
internal sealed class CpuMeter(string postgresDataDirectory)
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public readonly record struct Reading(TimeSpan App, TimeSpan Database);

    public Reading Read() => new(Process.GetCurrentProcess().TotalProcessorTime, DatabaseCpu());

    private TimeSpan DatabaseCpu()
    {
        var pidFile = Path.Combine(postgresDataDirectory, "postmaster.pid");
        if (!OperatingSystem.IsLinux() || !File.Exists(pidFile) || !int.TryParse(File.ReadLines(pidFile).First(), CultureInfo.InvariantCulture, out var postmaster))
        {
            return TimeSpan.Zero;
        }

        long ticks = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                // Fields after the command name (which may hold spaces) start at ") ": state ppid ... utime(14) stime(15) cutime cstime.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
                if (pid == postmaster || parent == postmaster)
                {
                    ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                }

                if (pid == postmaster)
                {
                    // Backends that ended (a closed connection) leave their time with the postmaster as cutime/cstime;
                    // without it a reading could go down between two calls.
                    ticks += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
                }
            }
            catch (IOException)
            {
                // The process ended while being read.
            }
        }

        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }
}
