using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Features.Safety;
using TrialManager.Web.Tests.Infrastructure;
using TrialManager.Web.Tests.Safety;

namespace TrialManager.Web.Tests.Blinding;

/// <summary>
/// A trial in full swing, built once for the crawl: 62 participants randomized through the real operation (31 at
/// London by its coordinator, 31 at Boston by its own), one more eligible but waiting at each site, second kits
/// dispensed, baseline forms entered (one with a data query), a protocol deviation, adverse events (one serious:
/// assessed, reported, followed up, with overdue-clock alerts in inboxes), and the demo trial with a participant per
/// site. The master key, hence every arm, stays sealed.
/// </summary>
public sealed class BlindedTrialFixture : IAsyncLifetime
{
    public const string TrialCode = "BLIND-CRAWL-60";
    public const int PerSite = 31;

    public TrialApp App { get; } = new();

    public RandomizationTrial Trial { get; private set; } = default!;

    public LeakRules Rules { get; private set; } = default!;

    public List<Guid> London { get; } = [];

    public List<Guid> Boston { get; } = [];

    public int Randomized { get; private set; }

    /// <summary>Values for route parameters a role might not find by itself (another site's participant, the serious event...).</summary>
    public Dictionary<string, string> KnownValues { get; } = new(StringComparer.Ordinal);

    public TimeSpan SetupTime { get; private set; }

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        await App.InitializeAsync();
        await App.EnrolAuthenticatorAsync("admin");
        Trial = await RandomizationTrial.CreateAsync(App, TrialCode, kitsPerSite: 48, slotsPerStratum: 60);

        foreach (var (site, local, ids) in new[] { ("LON", "coordinator", London), ("BOS", "coordinator.bos", Boston) })
        {
            ids.AddRange(await Trial.AddEligibleParticipantsAsync(App, site, PerSite + 1));
            foreach (var id in ids.Take(PerSite))
            {
                var assignment = await App.AsUserAsync(local, s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(id));
                Assert.True(assignment.Succeeded, SafetyScenario.Describe(assignment.Outcome));
                Randomized++;
            }

            foreach (var id in ids.Take(3))
            {
                var dispensed = await App.AsUserAsync(local, s => s.GetRequiredService<DispenseKit>().AtVisitAsync(id, "W3"));
                Assert.True(dispensed.Succeeded, SafetyScenario.Describe(dispensed.Outcome));
            }

            foreach (var id in ids.Take(2))
            {
                await SaveAsync(local, id, "DEP9", new() { ["d1"] = "2", ["d2"] = "2", ["d3"] = "1", ["d4"] = "2", ["d5"] = "1", ["d6"] = "2", ["d7"] = "1", ["d8"] = "0", ["d9"] = "0" }, complete: true);
                await SaveAsync(local, id, "VITALS", new() { ["systolic"] = "124", ["diastolic"] = "80", ["heart_rate"] = "70", ["temperature"] = "36.7", ["weight"] = "71.2", ["new_murmur"] = "no" }, complete: true);
                await SaveAsync(local, id, "ANX7", new() { ["a1"] = "1", ["a2"] = "2" }, complete: false);
            }

            await App.RegisterParticipantAsync(local);
        }

        Assert.True(Randomized >= 60, $"only {Randomized} randomized");

        var entry = await App.WithDbAsync(db => db.FormEntries.Where(e => e.ParticipantId == Boston[0] && e.FormCode == "DEP9").Select(e => e.Id).SingleAsync());
        var query = await App.AsUserAsync("datamanager", s => s.GetRequiredService<DataQueryWorkflow>().RaiseAsync(entry, "d3", "Please confirm item 3 against the source."));
        Assert.True(query.Succeeded, SafetyScenario.Describe(query));

        var deviation = await App.AsUserAsync("investigator", s => s.GetRequiredService<ReportDeviation>().ExecuteAsync(London[1], "D0", "Baseline questionnaires completed after the first dose."));
        Assert.True(deviation.Succeeded, SafetyScenario.Describe(deviation));

        await App.ReportAsync("coordinator", London[0], App.NonSerious("LON", "Headache"));
        await App.ReportAsync("coordinator.bos", Boston[0], App.NonSerious("BOS", "Insomnia"));
        var serious = await App.ReportAsync("investigator", London[2], App.Serious("LON", "Seizure"));
        Assert.True(await App.AssessAsync(serious.Id, "Related", expected: false));
        App.Clock.Advance(TimeSpan.FromHours(1));
        await App.RecordExpeditedAsync(serious.Id, "EV-CRAWL-0001");
        App.Clock.Advance(TimeSpan.FromHours(1));
        await App.FollowUpAsync("investigator", serious.Id, await App.FollowUpOfAsync(serious.Id, "Discharged; dose resumed."));
        var monitor = App.Services.GetRequiredService<SafetyClockMonitor>();
        App.Clock.Advance(TimeSpan.FromDays(17));
        await monitor.RunOnceAsync();

        Rules = await BlindingCrawl.RulesAsync(App);
        KnownValues["ParticipantId"] = Boston[0].ToString();
        KnownValues["EventId"] = serious.Id.ToString();
        KnownValues["Code"] = TrialCode;
        KnownValues["SiteId"] = (await App.SiteIdAsync("BOS")).ToString();
        KnownValues["VisitCode"] = "W3";
        KnownValues["FormCode"] = "ADHERENCE";
        var adminEmail = App.Account("admin").Email;
        KnownValues["UserId"] = await App.WithDbAsync(db => db.Users.Where(u => u.Email == adminEmail).Select(u => u.Id).SingleAsync());
        SetupTime = clock.Elapsed;
    }

    public async Task DisposeAsync() => await App.DisposeAsync();

    private async Task SaveAsync(string local, Guid id, string form, Dictionary<string, string?> values, bool complete)
    {
        var saved = await App.AsUserAsync(local, s => s.GetRequiredService<SaveForm>().ExecuteAsync(new(id, "D0", form, values, complete, null)));
        Assert.True(saved.Succeeded, $"D0 {form}: {SafetyScenario.Describe(saved.Outcome)}");
    }
}
