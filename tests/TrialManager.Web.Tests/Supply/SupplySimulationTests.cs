using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Domain.Protocols;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Features.Supply;
using TrialManager.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TrialManager.Web.Tests.Supply;

/// <summary>
/// The issue's "done means", in the real app: 200 participants at London and Boston, enrolled over nine weeks and
/// followed for twelve, day by day on the app's clock. Each day the resupply check runs, the depot ships what it
/// proposes, the sites receive what is due, and the coordinators randomize, dispense at the protocol's dispensing
/// visits and take back the previous kit with a pill count. No randomization or dispensing may fail, and every unit
/// must reconcile. Its own app, because the clock moves twelve weeks.
/// </summary>
public class SupplySimulationTests(TrialApp app, ITestOutputHelper output) : IClassFixture<TrialApp>
{
    private const int Participants = 200;
    private const int Days = 84;
    private const int EnrolmentDays = 63;
    private const int KitsPerSite = 40;

    /// <summary>
    /// Each site's own resupply_min. The shipped protocol's 4 kits per arm is sized for about 0.6 enrolments per site per
    /// day (Domain/Supply/README.md); 200 participants at two sites in nine weeks is about 1.6 a day per site, and a kit
    /// is dispensed at both D0 and W3, so the minimum must cover about twice the kits dispensed during the depot's
    /// two-day lead time. The protocol sets it per site, as it would for fast-recruiting sites.
    /// </summary>
    private const int SiteMinimum = 8;

    private static readonly (string Site, string Coordinator)[] Sites = [("LON", "coordinator"), ("BOS", "coordinator.bos")];

    private sealed class Person(Guid id, string site, string coordinator, int day0, int index)
    {
        public Guid Id { get; } = id;
        public string Site { get; } = site;
        public string Coordinator { get; } = coordinator;
        public int Day0 { get; } = day0;
        public int Index { get; } = index;
        public string? Kit { get; set; }
        public int KitDay { get; set; }
    }

    [Fact]
    public async Task Two_hundred_participants_over_twelve_weeks_never_stock_out_and_every_unit_reconciles()
    {
        var watch = Stopwatch.StartNew();
        var trial = await CreateTrialAsync("SIM-01");
        var protocol = trial.Protocol;
        Assert.All(Sites, s => Assert.Equal((SiteMinimum, KitsPerSite), protocol.ResupplyLevels(s.Site)));
        var siteIds = new Dictionary<string, Guid>(StringComparer.Ordinal);
        foreach (var (site, _) in Sites)
        {
            siteIds[site] = await app.SiteIdAsync(site);
        }

        // A large lot at each depot, beyond the reserve the list generation left there.
        foreach (var (site, _) in Sites)
        {
            var depot = await SupplyScenario.DepotOfAsync(app, trial.TrialId, siteIds[site]);
            var expires = DateOnly.FromDateTime(app.Clock.GetUtcNow().UtcDateTime).AddDays(500).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var lot = await app.AsUserAsync("depot", s => s.GetRequiredService<RegisterLot>().ExecuteAsync(trial.TrialId, depot, $"SIM-{site}-L002", expires, "100"));
            Assert.True(lot.Succeeded, SupplyScenario.Describe(lot.Outcome));
        }

        // Enrolment spread evenly over nine weeks at both sites; every participant's dispensing visits fall in the twelve.
        var people = new List<Person>();
        foreach (var (site, coordinator) in Sites)
        {
            var ids = await trial.AddEligibleParticipantsAsync(app, site, Participants / Sites.Length);
            people.AddRange(ids.Select((id, i) => new Person(id, site, coordinator, i * EnrolmentDays / ids.Count, i)));
        }

        var dispensing = protocol.Visits.Where(v => v.DispensesKit).OrderBy(v => v.Day).ToList();
        var lastTreatment = protocol.Visits.Where(v => v.Kind == VisitKind.Treatment).MaxBy(v => v.Day)!;
        Assert.Equal(protocol.RandomizationVisit, dispensing[0]);
        Assert.True(dispensing.Count >= 2, "The simulation needs a dispensing visit after randomization.");
        Assert.True(people.Max(p => p.Day0) + dispensing[^1].Day <= Days);

        var failures = new List<string>();
        var shortfalls = new List<string>();
        var consumed = Sites.ToDictionary(s => s.Site, _ => 0, StringComparer.Ordinal);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal) { ["randomized"] = 0, ["dispensed"] = 0, ["returned"] = 0, ["shipped"] = 0, ["received"] = 0 };
        for (var day = 0; day <= Days; day++)
        {
            if (day > 0)
            {
                app.Clock.Advance(TimeSpan.FromDays(1));
            }

            var outcome = await SupplyScenario.CheckAsSystemAsync(app);
            shortfalls.AddRange(outcome.Shortfalls.Select(s => $"day {day}: {s}"));

            foreach (var (site, coordinator) in Sites)
            {
                foreach (var requested in await SupplyScenario.ShipmentsAsync(app, trial.TrialId, siteIds[site], ShipmentStatus.Requested))
                {
                    var shipped = await SupplyScenario.ShipAsync(app, requested.Id);
                    Record(shipped.Succeeded, $"day {day}: shipping {site} {requested.Number}", shipped, "shipped");
                }

                var today = SupplyScenario.LocalToday(app, trial, site);
                foreach (var due in (await SupplyScenario.ShipmentsAsync(app, trial.TrialId, siteIds[site], ShipmentStatus.Shipped)).Where(s => s.ExpectedOn <= today))
                {
                    var codes = await SupplyScenario.PackingListAsync(app, due.Id);
                    var received = await SupplyScenario.ReceiveAsync(app, coordinator, due.Id, SupplyScenario.GoodReceipt(codes));
                    Record(received.Succeeded, $"day {day}: receiving {site} {due.Number}", received, "received");
                }
            }

            foreach (var person in people)
            {
                var studyDay = day - person.Day0;
                if (person.Kit is { } held && (studyDay == lastTreatment.Day || dispensing.Any(v => v.Day == studyDay)))
                {
                    // The pill count: every scheduled dose taken, one missed now and then.
                    var taken = Math.Max(0, protocol.Dosing.ScheduledDoses(person.KitDay, studyDay - 1) - (person.Index % 3 == 0 ? 1 : 0));
                    var unused = protocol.Kits.UnitsPerKit - taken;
                    var returned = await app.AsUserAsync(person.Coordinator, s => s.GetRequiredService<ReturnKit>().ExecuteAsync(person.Id, held, unused.ToString(CultureInfo.InvariantCulture)));
                    Record(returned.Succeeded, $"day {day}: returning {held} from {person.Site} participant {person.Index}", returned, "returned");
                    consumed[person.Site] += taken;
                    person.Kit = null;
                }

                var visit = dispensing.SingleOrDefault(v => v.Day == studyDay);
                if (visit is null)
                {
                    continue;
                }

                if (visit == protocol.RandomizationVisit)
                {
                    var randomized = await SupplyScenario.RandomizeAsync(app, person.Coordinator, person.Id);
                    Record(randomized.Succeeded, $"day {day}: randomizing {person.Site} participant {person.Index}", randomized.Outcome, "randomized");
                    person.Kit = randomized.Value?.KitCode;
                }
                else
                {
                    var dispensed = await app.AsUserAsync(person.Coordinator, s => s.GetRequiredService<DispenseKit>().AtVisitAsync(person.Id, visit.Code));
                    Record(dispensed.Succeeded, $"day {day}: dispensing {visit.Code} to {person.Site} participant {person.Index}", dispensed.Outcome, "dispensed");
                    person.Kit = dispensed.Value?.KitCode;
                }

                person.KitDay = studyDay;
            }
        }

        output.WriteLine($"Simulated {Days} days in {watch.Elapsed.TotalSeconds:0.0} s: {string.Join(", ", counts.Select(c => $"{c.Value} {c.Key}"))}.");

        // Nobody was ever turned away, and the depots could always fill what the check proposed.
        Assert.Empty(failures);
        Assert.Empty(shortfalls);
        Assert.Equal(Participants, counts["randomized"]);
        Assert.Equal(Participants * (dispensing.Count - 1), counts["dispensed"]);
        Assert.False(await app.WithDbAsync(db => db.AuditTrail.AnyAsync(e => e.TrialId == trial.TrialId && e.Action.EndsWith("Blocked"))), "an allocation was blocked");

        // Resupply really ran, every proposal was whole kit sets of every arm in the ratio, and was shipped and received.
        var resupplies = await app.WithDbAsync(db => db.Shipments.AsNoTracking().Where(s => s.TrialId == trial.TrialId && s.Reason == ShipmentReason.Resupply).OrderBy(s => s.RequestedAt).ToListAsync());
        Assert.All(Sites, s => Assert.True(resupplies.Count(r => r.SiteId == siteIds[s.Site]) >= 2, $"{s.Site} was resupplied fewer than twice."));
        foreach (var shipment in resupplies)
        {
            Assert.True(shipment.KitCount > 0 && shipment.KitCount % protocol.RatioSum == 0, $"Shipment {shipment.Number} holds {shipment.KitCount} kits, not whole kit sets of {protocol.RatioSum}.");
            var kits = await app.WithDbAsync(db => db.Kits.AsNoTracking().Where(k => db.ShipmentKits.Any(l => l.ShipmentId == shipment.Id && l.KitId == k.Id)).ToListAsync());
            Assert.Equal(shipment.KitCount, kits.Count);
            var arms = await SupplyScenario.ArmsAsync(app, trial.TrialId, kits);
            var sets = shipment.KitCount / protocol.RatioSum;
            Assert.All(protocol.Arms, a => Assert.Equal(sets * a.Ratio, arms.Values.Count(v => v == a.Code)));
        }

        Assert.All(resupplies, s => Assert.True(s.Status == ShipmentStatus.Received || s.ExpectedOn > SupplyScenario.LocalToday(app, trial, Sites.Single(x => siteIds[x.Site] == s.SiteId).Site), $"Shipment {s.Number} is {s.Status}."));

        // Every unit reconciles at both sites, and what was consumed is exactly what the pill counts say.
        foreach (var (site, _) in Sites)
        {
            var report = await SupplyScenario.ReconcileAsync(app, trial, siteIds[site]);
            SupplyScenario.AssertReconciled(report);
            Assert.Equal(consumed[site], report.Balance.Consumed);
            Assert.Equal(people.Count(p => p.Site == site && p.Kit is not null) * protocol.Kits.UnitsPerKit, report.Balance.WithParticipants);
            Assert.Equal(0, report.Balance.Lost + report.Balance.Destroyed);
            output.WriteLine($"{site}: {report.Balance}; {resupplies.Count(r => r.SiteId == siteIds[site])} resupply shipments of {string.Join(", ", resupplies.Where(r => r.SiteId == siteIds[site]).Select(r => r.KitCount))} kits.");
        }

        output.WriteLine($"Total {watch.Elapsed.TotalSeconds:0.0} s.");

        void Record(bool succeeded, string what, OperationResult result, string count)
        {
            if (succeeded)
            {
                counts[count]++;
            }
            else
            {
                failures.Add($"{what}: {SupplyScenario.Describe(result)}");
            }
        }
    }

    /// <summary>As <see cref="RandomizationTrial.CreateAsync"/>, with the simulation's resupply minimum set per site.</summary>
    private async Task<RandomizationTrial> CreateTrialAsync(string code)
    {
        var standard = RandomizationTrial.ProtocolText(code, KitsPerSite, slotsPerStratum: 60);
        var text = standard
            .Replace("    depot: EUD\n", $"    depot: EUD\n    resupply_min: {SiteMinimum}\n", StringComparison.Ordinal)
            .Replace("    depot: USD\n", $"    depot: USD\n    resupply_min: {SiteMinimum}\n", StringComparison.Ordinal);
        Assert.Equal(standard.Length + (2 * $"    resupply_min: {SiteMinimum}\n".Length), text.Length);
        var trialId = await app.AsUserAsync("admin", async services =>
        {
            var imported = await services.GetRequiredService<ProtocolImporter>().ImportAsync(text, code + ".yaml", new ProtocolImportActor("test", "test"));
            Assert.Equal(ProtocolImportKind.NewTrial, imported.Kind);
            var id = await services.GetRequiredService<TrialDbContext>().Trials.Where(t => t.Code == code).Select(t => t.Id).SingleAsync();
            var generated = await services.GetRequiredService<GenerateRandomizationList>().ExecuteAsync(id);
            Assert.True(generated.Succeeded, SupplyScenario.Describe(generated.Outcome));
            return id;
        });
        return await RandomizationTrial.CreateFromExistingAsync(app, trialId);
    }
}
