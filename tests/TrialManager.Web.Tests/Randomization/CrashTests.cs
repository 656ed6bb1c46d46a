using TrialManager.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TrialManager.Web.Tests.Randomization;

/// <summary>The app process is killed (SIGKILL) while randomizations are in flight.</summary>
public class CrashTests(TrialApp app, ITestOutputHelper output) : IClassFixture<TrialApp>
{
    [Fact]
    public async Task After_a_hard_kill_every_participant_has_all_or_nothing_and_a_retry_completes()
    {
        var trial = await RandomizationTrial.CreateAsync(app, "CRASH-01", kitsPerSite: 160, slotsPerStratum: 100);
        var ids = await trial.AddEligibleParticipantsAsync(app, "LON", 120);

        var completed = 0;
        await using (var process = await AppProcess.StartAsync(app))
        {
            using var cancel = new CancellationTokenSource();
            var next = -1;
            var workers = Enumerable.Range(0, 8).Select(async _ =>
            {
                using var browser = new TestBrowser(app, TestBrowser.ClientFor(process.Address));
                await browser.SignInAsync("coordinator");
                while (!cancel.IsCancellationRequested)
                {
                    var index = Interlocked.Increment(ref next);
                    if (index >= ids.Count)
                    {
                        return;
                    }

                    try
                    {
                        if (await RandomizationInvariants.RandomizeThroughPageAsync(browser, ids[index]))
                        {
                            Interlocked.Increment(ref completed);
                        }
                    }
                    catch (HttpRequestException)
                    {
                        return; // the server died under us
                    }
                }
            }).ToList();

            // Kill it once some randomizations have completed and others are surely in flight.
            while (Volatile.Read(ref completed) < 25)
            {
                await Task.Delay(5);
            }

            await process.KillAsync();
            cancel.Cancel();
            await Task.WhenAll(workers.Select(w => w.ContinueWith(_ => { }, TaskScheduler.Default)));
        }

        var afterCrash = await RandomizationInvariants.AssertAllOrNothingAsync(app, trial);
        output.WriteLine($"completed before the kill (as seen by clients): {completed}; randomized in the database: {afterCrash} of {ids.Count}");
        Assert.True(afterCrash >= completed && afterCrash < ids.Count, $"{afterCrash} randomized, {completed} confirmed");

        // A restarted app completes the rest, including anyone whose request died with the process.
        await using (var restarted = await AppProcess.StartAsync(app))
        {
            using var browser = new TestBrowser(app, TestBrowser.ClientFor(restarted.Address));
            await browser.SignInAsync("coordinator");
            foreach (var id in ids)
            {
                Assert.True(await RandomizationInvariants.RandomizeThroughPageAsync(browser, id));
            }
        }

        Assert.Equal(ids.Count, await RandomizationInvariants.AssertAllOrNothingAsync(app, trial));
    }
}
