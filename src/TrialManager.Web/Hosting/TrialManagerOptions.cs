namespace TrialManager.Web.Hosting;

/// <summary>The "TrialManager" configuration section. Every setting can come from appsettings, environment (TrialManager__X) or a file.</summary>
public sealed class TrialManagerOptions
{
    public const string Section = "TrialManager";

    /// <summary>Where the local cluster, demo credentials and (later) the master key live when nothing else is configured.</summary>
    public string? DataDirectory { get; set; }

    public string? PostgresBinDirectory { get; set; }

    /// <summary>Apply pending migrations at start. On for the embedded default; otherwise run the 'migrate' command.</summary>
    public bool? MigrateOnStart { get; set; }

    /// <summary>Seed two demo sites, a demo trial and one user per role into an empty database.</summary>
    public bool? SeedDemo { get; set; }

    /// <summary>Sessions end after this long without a request.</summary>
    public int IdleTimeoutMinutes { get; set; } = 15;

    /// <summary>Sessions end this long after sign-in, whatever the activity.</summary>
    public int AbsoluteSessionHours { get; set; } = 10;

    /// <summary>Sign-in form posts allowed per client address per minute (account lockout guards each account on top).</summary>
    public int SignInAttemptsPerMinute { get; set; } = 30;

    /// <summary>
    /// Reverse proxies (IP addresses or CIDR networks, comma-separated) whose X-Forwarded-For/-Proto headers are believed.
    /// TLS usually ends at such a proxy; without this the app would see plain http and refuse its Secure-only cookies.
    /// </summary>
    public string? TrustedProxies { get; set; }

    /// <summary>Folder for ASP.NET data-protection keys, shared by all app instances of one deployment.</summary>
    public string? DataProtectionKeysDirectory { get; set; }

    /// <summary>
    /// Adds a Server-Timing header (the app's own time for the request, in ms) to every response, for the benchmark.
    /// Off by default: timings are of no use to a browser and need not be shown to one.
    /// </summary>
    public bool ServerTiming { get; set; }

    public static string DefaultDataDirectory()
    {
        if (Environment.IsPrivilegedProcess)
        {
            return "/var/lib/trialmanager";
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".local", "share") : xdg, "trialmanager");
    }
}
