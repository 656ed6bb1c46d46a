using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace TrialManager.Benchmarks.Load;

/// <summary>
/// One instance of the built app as its own operating-system process on a loopback port, as a deployment runs it
/// behind a load balancer: the benchmark's traffic crosses real HTTP, and the process's memory is its own to read.
/// </summary>
public sealed class AppInstance : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task<string> _errors;

    private AppInstance(Process process, Uri address, Task<string> errors)
    {
        _process = process;
        Address = address;
        _errors = errors;
    }

    public Uri Address { get; }

    public int ProcessId => _process.Id;

    /// <summary>Everything the process wrote to standard error; complete once it has exited.</summary>
    public Task<string> ErrorOutput => _errors;

    /// <summary>Starts the app with <paramref name="settings"/> (configuration keys, e.g. "TrialManager:MasterKey") and waits until /health answers.</summary>
    /// <param name="outputLine">Receives each line the app logs to standard output (the soak reads its log); else the output is dropped.</param>
    public static async Task<AppInstance> StartAsync(IReadOnlyDictionary<string, string> settings, Action<string>? outputLine = null)
    {
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(typeof(Program).Assembly.Location);
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        info.Environment["ASPNETCORE_URLS"] = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        // Drain the output so the process never blocks on a full pipe.
        _ = outputLine is null ? process.StandardOutput.ReadToEndAsync() : ForwardLinesAsync(process.StandardOutput, outputLine);
        var instance = new AppInstance(process, new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}")), process.StandardError.ReadToEndAsync());
        using var client = new HttpClient { BaseAddress = instance.Address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The app exited with {process.ExitCode} while starting: {await instance._errors}");
            }

            try
            {
                if ((await client.GetStringAsync(new Uri("/health", UriKind.Relative))).Trim() == "Healthy")
                {
                    return instance;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        await instance.DisposeAsync();
        throw new TimeoutException("The app did not become healthy within 120 s.");
    }

    /// <summary>Peak and current resident memory of the process (VmHWM, VmRSS from /proc), in MiB.</summary>
    public (double PeakMiB, double CurrentMiB) Memory()
    {
        var status = File.ReadAllLines(string.Create(CultureInfo.InvariantCulture, $"/proc/{_process.Id}/status"));
        double Field(string name) => status.Where(l => l.StartsWith(name, StringComparison.Ordinal))
            .Select(l => double.Parse(l[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024).FirstOrDefault();
        return (Field("VmHWM:"), Field("VmRSS:"));
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

    private static async Task ForwardLinesAsync(StreamReader output, Action<string> outputLine)
    {
        while (await output.ReadLineAsync() is { } line)
        {
            outputLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
