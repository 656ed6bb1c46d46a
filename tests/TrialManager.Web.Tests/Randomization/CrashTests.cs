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

        var completed = await KillDuring.WritesAsync(app, "coordinator", ids, RandomizationInvariants.RandomizeThroughPageAsync, killAfter: 25);

        var afterCrash = await RandomizationInvariants.AssertAllOrNothingAsync(app, trial);
        output.WriteLine($"completed before the kill (as seen by clients): {completed}; randomized in the database: {afterCrash} of {ids.Count}");
        Assert.True(afterCrash >= completed && afterCrash < ids.Count, $"{afterCrash} randomized, {completed} confirmed");

        // A restarted app completes the rest, including anyone whose request died with the process.
        await KillDuring.RetryAllAsync(app, "coordinator", ids, RandomizationInvariants.RandomizeThroughPageAsync);

        Assert.Equal(ids.Count, await RandomizationInvariants.AssertAllOrNothingAsync(app, trial));
    }
}
