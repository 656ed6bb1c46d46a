using TrialManager.Benchmarks.Load;

namespace TrialManager.Web.Tests.Infrastructure;

/// <summary>
/// The built app run as a real operating-system process on a loopback port (the benchmark's <see cref="AppInstance"/>),
/// for tests that must kill it the hard way (no graceful shutdown) or that need a real network listener.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly AppInstance _instance;

    private AppProcess(AppInstance instance) => _instance = instance;

    public Uri Address => _instance.Address;

    /// <summary>
    /// Starts the app on <paramref name="deployment"/>'s database; <paramref name="settings"/> are added to (or replace)
    /// its deployment settings, for what differs per process (a data-protection key folder, an SMTP server).
    /// </summary>
    public static async Task<AppProcess> StartAsync(TrialApp deployment, IReadOnlyDictionary<string, string>? settings = null)
    {
        var all = new Dictionary<string, string>(deployment.DeploymentSettings);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        return new AppProcess(await AppInstance.StartAsync(all));
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing; in-flight requests die with it.</summary>
    public Task KillAsync() => _instance.KillAsync();

    public ValueTask DisposeAsync() => _instance.DisposeAsync();
}
