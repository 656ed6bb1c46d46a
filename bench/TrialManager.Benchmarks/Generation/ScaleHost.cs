using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Safety;

namespace TrialManager.Benchmarks.Generation;

/// <summary>
/// The real app, in this process, for generation: Development, no demo, migrated on start, logging off, and the
/// simulated clock as its TimeProvider.
/// </summary>
public sealed class ScaleHost(string connectionString, string masterKey) : WebApplicationFactory<Program>
{
    public SimulatedClock Clock { get; } = new();

    /// <summary>Time and SQL commands per kind of operation in this host's runs.</summary>
    public GenerationProfile Profile { get; } = new();

    /// <summary>
    /// Makes <paramref name="clock"/> the app's TimeProvider (registered after the app's own, so it wins) and turns off
    /// the background work that would act on the real time while the data is being written in the past: the safety
    /// clock monitor (it would raise "overdue" alerts for events whose reports are still being generated) and the daily
    /// resupply check (the generated stock is sized for the whole run).
    /// </summary>
    public static void UseSimulatedClock(IServiceCollection services, SimulatedClock clock)
    {
        services.AddSingleton<TimeProvider>(clock);
        for (var i = 0; i < services.Count; i++)
        {
            var service = services[i];
            if (service.ServiceType == typeof(IHostedService) && service.ImplementationFactory is { } factory)
            {
                services[i] = ServiceDescriptor.Singleton<IHostedService>(provider =>
                {
                    var hosted = (IHostedService)factory(provider);
                    return hosted is SafetyClockMonitor ? new Idle() : hosted;
                });
            }
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSolutionRelativeContentRoot("src/TrialManager.Web");
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:TrialManager", connectionString);
        builder.UseSetting("TrialManager:MasterKey", masterKey);
        builder.UseSetting("TrialManager:SeedDemo", "false");
        builder.UseSetting("TrialManager:MigrateOnStart", "true");
        builder.UseSetting("TrialManager:Supply:ResupplyCheckHours", "0");
        builder.ConfigureLogging(logging => logging.ClearProviders());
        builder.ConfigureServices(services =>
        {
            UseSimulatedClock(services, Clock);
            services.AddSingleton(Profile);
            services.ConfigureDbContext<TrialDbContext>(options => options.AddInterceptors(Profile));
        });
    }

    private sealed class Idle : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
