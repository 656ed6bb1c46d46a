namespace TrialManager.Web.Tests.Infrastructure;

/// <summary>
/// Runs one write per participant through the pages of a real app process, from several browsers at once, and kills
/// the process (SIGKILL) once some have been confirmed, so others are surely in flight. Returns how many the clients
/// saw succeed before the kill.
/// </summary>
public static class KillDuring
{
    public static async Task<int> WritesAsync(TrialApp app, string local, IReadOnlyList<Guid> participants, Func<TestBrowser, Guid, Task<bool>> write, int killAfter, int browsers = 8)
    {
        var completed = 0;
        await using var process = await AppProcess.StartAsync(app);
        using var cancel = new CancellationTokenSource();
        var next = -1;
        var workers = Enumerable.Range(0, browsers).Select(async _ =>
        {
            using var browser = new TestBrowser(app, TestBrowser.ClientFor(process.Address));
            await browser.SignInAsync(local);
            while (!cancel.IsCancellationRequested)
            {
                var index = Interlocked.Increment(ref next);
                if (index >= participants.Count)
                {
                    return;
                }

                try
                {
                    if (await write(browser, participants[index]))
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

        while (Volatile.Read(ref completed) < killAfter && workers.Any(w => !w.IsCompleted))
        {
            await Task.Delay(5);
        }

        await process.KillAsync();
        cancel.Cancel();
        await Task.WhenAll(workers.Select(w => w.ContinueWith(_ => { }, TaskScheduler.Default)));
        Assert.True(completed < participants.Count, $"All {participants.Count} writes finished before the kill; the test proves nothing.");
        return completed;
    }

    /// <summary>Completes the writes on a restarted process, for every participant, one browser.</summary>
    public static async Task RetryAllAsync(TrialApp app, string local, IEnumerable<Guid> participants, Func<TestBrowser, Guid, Task<bool>> write)
    {
        await using var restarted = await AppProcess.StartAsync(app);
        using var browser = new TestBrowser(app, TestBrowser.ClientFor(restarted.Address));
        await browser.SignInAsync(local);
        foreach (var id in participants)
        {
            Assert.True(await write(browser, id), $"The retry for {id} did not succeed.");
        }
    }
}
