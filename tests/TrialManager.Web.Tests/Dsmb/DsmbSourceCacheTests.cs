using Microsoft.Extensions.DependencyInjection;
using TrialManager.Web.Features.Dsmb;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Tests.Infrastructure;
using TrialManager.Web.Tests.Safety;

namespace TrialManager.Web.Tests.Dsmb;

/// <summary>
/// The DSMB reports share one reading of the trial between requests (it reads the whole trial), but never one older
/// than the last write: a write anywhere, in this instance or another on the same database, means a new reading;
/// viewing a report does not. People opening the report at once wait for one reading.
/// </summary>
public class DsmbSourceCacheTests(TrialApp app) : IClassFixture<TrialApp>
{
    private const string TrialCode = "DSMB-CACHE-01";

    private Task<DsmbSource?> ReadAsync() =>
        app.AsUserAsync("dsmb", s => s.GetRequiredService<DsmbReportReader>().ReadAsync(TrialCode));

    private async Task<DsmbReport> ViewClosedAsync() =>
        (await app.AsUserAsync("dsmb", s => s.GetRequiredService<ClosedReport>().ViewAsync(TrialCode)))!.Report;

    [Fact]
    public async Task A_reading_is_shared_until_a_write_and_never_outlives_one()
    {
        var trial = await RandomizationTrial.CreateAsync(app, TrialCode, kitsPerSite: 8, slotsPerStratum: 6);
        var ids = await trial.AddEligibleParticipantsAsync(app, "LON", 3);
        var randomized = await app.AsUserAsync("coordinator", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(ids[0]));
        Assert.True(randomized.Succeeded, SafetyScenario.Describe(randomized.Outcome));

        var first = await ReadAsync();
        Assert.NotNull(first);
        Assert.Same(first, await ReadAsync());

        // Viewing the closed report is audited, but changes no record: the reading is still shared, and so is the
        // closed report computed from it (arms opened once per reading).
        var closed = await ViewClosedAsync();
        Assert.Same(closed, await ViewClosedAsync());
        Assert.Same(first, await ReadAsync());
        Assert.Empty(first.Data.Events);

        // A write through any operation: the next reading is new and has it.
        await app.ReportAsync("coordinator", ids[0], app.NonSerious("LON", "Headache"));
        var afterEvent = await ReadAsync();
        Assert.NotSame(first, afterEvent);
        Assert.Equal("Headache", Assert.Single(afterEvent!.Data.Events).Term);
        Assert.Equal(1, afterEvent.OpenReport.Safety.Groups[0].Any.Events);
        var closedAfterEvent = await ViewClosedAsync();
        Assert.NotSame(closed, closedAfterEvent);
        Assert.Equal(1, closedAfterEvent.Safety.Groups[^1].Any.Events);

        // A write through another instance on the same database (its own memory, its own cache) counts too.
        using (var second = app.NewInstanceOnSameDatabase())
        {
            var there = await app.AsUserOnAsync(second.Services, "coordinator", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(ids[1]));
            Assert.True(there.Succeeded, SafetyScenario.Describe(there.Outcome));
        }

        var afterRandomization = await ReadAsync();
        Assert.NotSame(afterEvent, afterRandomization);
        Assert.Equal(2, afterRandomization!.Data.Participants.Count(p => p.RandomizedAt is not null));

        // What changes without a write (the sites' today, hence study days) is read again after at most MaxAge.
        app.Clock.Advance(DsmbSourceCache.MaxAge);
        var later = await ReadAsync();
        Assert.NotSame(afterRandomization, later);
        Assert.True(later!.Data.AsOf > afterRandomization.Data.AsOf);
    }

    [Fact]
    public async Task People_opening_the_report_at_once_wait_for_one_reading()
    {
        var trial = await RandomizationTrial.CreateAsync(app, "DSMB-CACHE-02", kitsPerSite: 8, slotsPerStratum: 6);
        var ids = await trial.AddEligibleParticipantsAsync(app, "LON", 2);
        var randomized = await app.AsUserAsync("coordinator", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(ids[0]));
        Assert.True(randomized.Succeeded, SafetyScenario.Describe(randomized.Outcome));

        var readings = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            app.AsUserAsync("dsmb", s => s.GetRequiredService<DsmbReportReader>().ReadAsync("DSMB-CACHE-02")))));
        Assert.All(readings, r => Assert.Same(readings[0], r));
        Assert.Single(readings[0]!.Data.Participants, p => p.RandomizedAt is not null);
    }
}
