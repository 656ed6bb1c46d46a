using System.Collections.Concurrent;
using TrialManager.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TrialManager.Web.Tests.Randomization;

/// <summary>Many coordinators on two app instances sharing one database, randomizing at once.</summary>
public class ConcurrencyTests(TrialApp app, ITestOutputHelper output) : IClassFixture<TrialApp>
{
    [Fact]
    public async Task Five_hundred_parallel_randomizations_through_two_app_hosts_are_all_complete_and_in_order()
    {
        const int perSite = 250;
        var trial = await RandomizationTrial.CreateAsync(app, "CONC-01", kitsPerSite: 300, slotsPerStratum: 160);
        var queues = new Dictionary<string, ConcurrentQueue<Guid>>
        {
            ["LON"] = new(await trial.AddEligibleParticipantsAsync(app, "LON", perSite)),
            ["BOS"] = new(await trial.AddEligibleParticipantsAsync(app, "BOS", perSite)),
        };
        await using var second = app.NewInstanceOnSameDatabase();

        // Four browsers per site on each host: sixteen coordinators' sessions submitting at the same time.
        var workers = new List<Task<int>>();
        foreach (var (site, local) in new[] { ("LON", "coordinator"), ("BOS", "coordinator.bos") })
        {
            for (var i = 0; i < 8; i++)
            {
                var browser = i % 2 == 0 ? app.NewBrowser() : second.NewBrowser();
                await browser.SignInAsync(local);
                var queue = queues[site];
                workers.Add(Task.Run(async () =>
                {
                    var done = 0;
                    while (queue.TryDequeue(out var id))
                    {
                        Assert.True(await RandomizationInvariants.RandomizeThroughPageAsync(browser, id), $"participant {id} was not randomized");
                        done++;
                    }

                    browser.Dispose();
                    return done;
                }));
            }
        }

        var started = DateTime.UtcNow;
        var counts = await Task.WhenAll(workers);
        output.WriteLine($"{counts.Sum()} randomizations by {workers.Count} sessions on 2 hosts in {(DateTime.UtcNow - started).TotalSeconds:0.0} s");

        Assert.Equal(2 * perSite, counts.Sum());
        Assert.Equal(2 * perSite, await RandomizationInvariants.AssertAllOrNothingAsync(app, trial));
    }
}
