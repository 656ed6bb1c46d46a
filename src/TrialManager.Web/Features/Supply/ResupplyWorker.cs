namespace TrialManager.Web.Features.Supply;

/// <summary>
/// Runs the resupply check once a day (<c>TrialManager:Supply:ResupplyCheckHours</c>, default 24), first one
/// interval after start. Several instances may each run it: the per-trial advisory lock and the shipments already on their way
/// keep a second run from proposing again.
/// </summary>
public sealed class ResupplyWorker(IServiceProvider services, IConfiguration configuration, ILogger<ResupplyWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var hours = configuration.GetValue("TrialManager:Supply:ResupplyCheckHours", 24.0);
        if (hours <= 0)
        {
            logger.LogInformation("The daily resupply check is off (TrialManager:Supply:ResupplyCheckHours is {Hours}).", hours);
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromHours(Math.Max(hours, 1.0 / 60)));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = services.CreateAsyncScope();
                var outcome = await scope.ServiceProvider.GetRequiredService<ResupplyCheck>().RunAsSystemAsync(stoppingToken);
                logger.LogInformation("Resupply check: {Sites} sites, {Shipments} shipments proposed", outcome.SitesChecked, outcome.ShipmentsProposed);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "The resupply check failed; trying again at the next tick.");
            }
        }
    }
}
