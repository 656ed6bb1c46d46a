using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace TrialManager.Web.Tests.Infrastructure;

/// <summary>
/// The built app run as a real operating-system process on a loopback port, for tests that must kill it the hard way
/// (no graceful shutdown) or that need a real network listener.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;

    private AppProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>
    /// Starts the app on <paramref name="deployment"/>'s database; <paramref name="settings"/> are added to (or replace)
    /// its deployment settings, for what differs per process (a data-protection key folder, an SMTP server).
    /// </summary>
    public static async Task<AppProcess> StartAsync(TrialApp deployment, IReadOnlyDictionary<string, string>? settings = null)
    {
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(typeof(Program).Assembly.Location);
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in deployment.DeploymentSettings.Concat(settings ?? new Dictionary<string, string>()))
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(info)!;
        // Drain the output so the process never blocks on a full pipe.
        _ = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        var app = new AppProcess(process, new Uri($"http://127.0.0.1:{port}"));
        using var client = new HttpClient { BaseAddress = app.Address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The app process exited with {process.ExitCode} while starting: {await errors}");
            }

            try
            {
                if ((await client.GetStringAsync("/health")).Trim() == "Healthy")
                {
                    return app;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        process.Kill(entireProcessTree: true);
        throw new TimeoutException("The app process did not become healthy within 60 s.");
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing; in-flight requests die with it.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
