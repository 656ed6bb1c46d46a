using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Domain.Supply;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Features.Safety;
using TrialManager.Web.Features.Supply;
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

        await SupplyAsync();

        Rules = await BlindingCrawl.RulesAsync(App);
        KnownValues["ParticipantId"] = Boston[0].ToString();
        KnownValues["EventId"] = serious.Id.ToString();
        KnownValues["Code"] = TrialCode;
        KnownValues["SiteId"] = (await App.SiteIdAsync("BOS")).ToString();
        KnownValues["VisitCode"] = "W3";
        KnownValues["FormCode"] = "ADHERENCE";
        var adminEmail = App.Account("admin").Email;
        KnownValues["UserId"] = await App.WithDbAsync(db => db.Users.Where(u => u.Email == adminEmail).Select(u => u.Id).SingleAsync());
        KnownValues["SiteCode"] = "BOS";
        KnownValues["ShipmentId"] = BostonShipment.ToString();
        KnownValues["DestructionId"] = BostonDestruction.ToString();
        KnownValues["KitCode"] = BostonKit;
        SetupTime = clock.Elapsed;
    }

    /// <summary>Boston's initial shipment, its destruction awaiting a witness, and one of its kits: for London staff to try.</summary>
    public Guid BostonShipment { get; private set; }

    public Guid BostonDestruction { get; private set; }

    public string BostonKit { get; private set; } = "";

    /// <summary>
    /// Drug supply in motion, through the real operations: at London eight shelf kits quarantined, two of them destroyed
    /// (recorded by the coordinator, witnessed by the investigator), which leaves too little stock, so the resupply check
    /// proposes a shipment and the depot sends it; at Boston one kit awaits its destruction's witness; and the depot
    /// registers a second lot.
    /// </summary>
    private async Task SupplyAsync()
    {
        var london = await App.SiteIdAsync("LON");
        var boston = await App.SiteIdAsync("BOS");
        var shelf = await App.WithDbAsync(db => db.Kits.Where(k => k.TrialId == Trial.TrialId && k.State == KitState.AtSite)
            .OrderBy(k => k.Code).Select(k => new { k.Code, SiteId = k.SiteId!.Value }).ToListAsync());
        var londonKits = shelf.Where(k => k.SiteId == london).Select(k => k.Code).Take(8).ToList();
        foreach (var code in londonKits)
        {
            var held = await App.AsUserAsync("coordinator", s => s.GetRequiredService<RecordSiteKitEvent>().ExecuteAsync(Trial.TrialId, london, code, SiteKitAction.Quarantine, "Cartons wet after a leak in the pharmacy store."));
            Assert.True(held.Succeeded, SafetyScenario.Describe(held));
        }

        var destroyed = await App.AsUserAsync("coordinator", s => s.GetRequiredService<RecordDestruction>()
            .ExecuteAsync(Trial.TrialId, london, londonKits[..2], "Incineration by licensed contractor", "Water damage.", App.Account("coordinator").Password));
        Assert.True(destroyed.Succeeded, SafetyScenario.Describe(destroyed.Outcome));
        var witnessed = await App.AsUserAsync("investigator", s => s.GetRequiredService<WitnessDestruction>().ExecuteAsync(destroyed.Value, App.Account("investigator").Password));
        Assert.True(witnessed.Succeeded, SafetyScenario.Describe(witnessed));

        BostonKit = shelf.First(k => k.SiteId == boston).Code;
        var bostonHeld = await App.AsUserAsync("coordinator.bos", s => s.GetRequiredService<RecordSiteKitEvent>().ExecuteAsync(Trial.TrialId, boston, BostonKit, SiteKitAction.Quarantine, "Label unreadable."));
        Assert.True(bostonHeld.Succeeded, SafetyScenario.Describe(bostonHeld));
        var bostonDestruction = await App.AsUserAsync("coordinator.bos", s => s.GetRequiredService<RecordDestruction>()
            .ExecuteAsync(Trial.TrialId, boston, [BostonKit], "Denaturing kit", "", App.Account("coordinator.bos").Password));
        Assert.True(bostonDestruction.Succeeded, SafetyScenario.Describe(bostonDestruction.Outcome));
        BostonDestruction = bostonDestruction.Value;
        BostonShipment = await App.WithDbAsync(db => db.Shipments.Where(s => s.TrialId == Trial.TrialId && s.SiteId == boston && s.Number == 0).Select(s => s.Id).SingleAsync());

        var resupply = await App.AsUserAsync("depot", s => s.GetRequiredService<ResupplyCheck>().RunAsync());
        Assert.True(resupply.ShipmentsProposed >= 1, $"The resupply check proposed nothing: {string.Join("; ", resupply.Shortfalls)}");
        var proposed = await App.WithDbAsync(db => db.Shipments.Where(s => s.TrialId == Trial.TrialId && s.SiteId == london && s.Status == ShipmentStatus.Requested).Select(s => s.Id).FirstAsync());
        var shipped = await App.AsUserAsync("depot", s => s.GetRequiredService<ShipShipment>().ExecuteAsync(proposed, "Cold chain couriers", "CC-CRAWL-0001"));
        Assert.True(shipped.Succeeded, SafetyScenario.Describe(shipped));

        var depotId = await App.WithDbAsync(db => db.TrialSites.Where(l => l.TrialId == Trial.TrialId && l.SiteId == london).Select(l => l.DepotId).SingleAsync());
        var expires = DateOnly.FromDateTime(App.Clock.GetUtcNow().UtcDateTime).AddDays(400).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var lot = await App.AsUserAsync("depot", s => s.GetRequiredService<RegisterLot>().ExecuteAsync(Trial.TrialId, depotId, TrialCode + "-L002", expires, "2"));
        Assert.True(lot.Succeeded, SafetyScenario.Describe(lot.Outcome));
    }

    public async Task DisposeAsync() => await App.DisposeAsync();

    private async Task SaveAsync(string local, Guid id, string form, Dictionary<string, string?> values, bool complete)
    {
        var saved = await App.AsUserAsync(local, s => s.GetRequiredService<SaveForm>().ExecuteAsync(new(id, "D0", form, values, complete, null)));
        Assert.True(saved.Succeeded, $"D0 {form}: {SafetyScenario.Describe(saved.Outcome)}");
    }
}
