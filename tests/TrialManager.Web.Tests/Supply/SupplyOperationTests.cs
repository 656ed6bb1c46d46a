using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrialManager.Domain.Participants;
using TrialManager.Domain.Supply;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Features.Supply;
using TrialManager.Web.Sealing;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Supply;

/// <summary>Supply steps through the real operations, as the real users, shared by the supply test classes.</summary>
internal static class SupplyScenario
{
    public const string Carrier = "Cold Chain Couriers";

    public static string Describe(OperationResult result) =>
        string.Join(" | ", result.Errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")));

    public static Task<OperationResult<RandomizeParticipant.Assignment>> RandomizeAsync(TrialApp app, string user, Guid participantId) =>
        app.AsUserAsync(user, s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(participantId));

    /// <summary>The resupply check as the depot manager runs it ("run the check now").</summary>
    public static Task<ResupplyOutcome> CheckAsync(TrialApp app) =>
        app.AsUserAsync("depot", s => s.GetRequiredService<ResupplyCheck>().RunAsync());

    /// <summary>The resupply check as the daily worker runs it.</summary>
    public static async Task<ResupplyOutcome> CheckAsSystemAsync(TrialApp app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ResupplyCheck>().RunAsSystemAsync();
    }

    public static Task<OperationResult> ShipAsync(TrialApp app, Guid shipmentId, string user = "depot") =>
        app.AsUserAsync(user, s => s.GetRequiredService<ShipShipment>().ExecuteAsync(shipmentId, Carrier, "CCC-0001"));

    public static Task<OperationResult> ReceiveAsync(TrialApp app, string user, Guid shipmentId, ShipmentReceipt receipt) =>
        app.AsUserAsync(user, s => s.GetRequiredService<ReceiveShipment>().ExecuteAsync(shipmentId, receipt));

    public static Task<OperationResult> DecideAsync(TrialApp app, Guid shipmentId, bool release, string? note, string user = "depot") =>
        app.AsUserAsync(user, s => s.GetRequiredService<DecideQuarantine>().ExecuteAsync(shipmentId, release, note));

    public static Task<OperationResult> KitEventAsync(TrialApp app, string user, Guid trialId, Guid siteId, string kitCode, SiteKitAction action, string reason = "Found on the shelf check") =>
        app.AsUserAsync(user, s => s.GetRequiredService<RecordSiteKitEvent>().ExecuteAsync(trialId, siteId, kitCode, action, reason));

    /// <summary>Every kit of the packing list counted in with a full kit, packaging intact, no excursion.</summary>
    public static ShipmentReceipt GoodReceipt(IEnumerable<string> codes, int units = 10) =>
        new(true, false, "4.5", "7.0", "", codes.ToDictionary(c => c, _ => (KitArrival.Received, (string?)units.ToString(System.Globalization.CultureInfo.InvariantCulture)), StringComparer.Ordinal));

    public static async Task<List<string>> PackingListAsync(TrialApp app, Guid shipmentId) =>
        await app.WithDbAsync(db => db.ShipmentKits.Where(l => l.ShipmentId == shipmentId).OrderBy(l => l.Position).Select(l => l.KitCode).ToListAsync());

    public static async Task<Shipment> ShipmentAsync(TrialApp app, Guid shipmentId) =>
        await app.WithDbAsync(db => db.Shipments.AsNoTracking().SingleAsync(s => s.Id == shipmentId));

    public static async Task<List<Shipment>> ShipmentsAsync(TrialApp app, Guid trialId, Guid siteId, ShipmentStatus? status = null) =>
        await app.WithDbAsync(db => db.Shipments.AsNoTracking()
            .Where(s => s.TrialId == trialId && s.SiteId == siteId && (status == null || s.Status == status))
            .OrderBy(s => s.Number)
            .ToListAsync());

    public static async Task<List<Kit>> KitsAsync(TrialApp app, IReadOnlyCollection<string> codes) =>
        await app.WithDbAsync(db => db.Kits.AsNoTracking().Where(k => codes.Contains(k.Code)).ToListAsync());

    public static async Task<List<KitLedgerEntry>> LedgerAsync(TrialApp app, Guid trialId, Guid siteId) =>
        await app.WithDbAsync(db => db.KitLedger.AsNoTracking().Where(e => e.TrialId == trialId && e.SiteId == siteId).OrderBy(e => e.Sequence).ToListAsync());

    public static async Task<SiteReconciliation> ReconcileAsync(TrialApp app, RandomizationTrial trial, Guid siteId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<SupplyLedger>().ReconcileAsync(trial.TrialId, siteId, trial.Protocol.Kits.UnitsPerKit, CancellationToken.None);
    }

    public static void AssertReconciled(SiteReconciliation report)
    {
        Assert.True(report.IsReconciled, string.Join(Environment.NewLine, report.Findings.Select(f => $"{f.Issue} {f.KitCode}: {f.Description}")));
        Assert.True(report.Balance.Holds, report.Balance.ToString());
    }

    /// <summary>Opens kits' arms in the test (never through a page): only to check what the blind operations did.</summary>
    public static async Task<Dictionary<Guid, string>> ArmsAsync(TrialApp app, Guid trialId, IEnumerable<Kit> kits) =>
        await app.Services.GetRequiredService<Sealer>().OpenArmsAsync(trialId, GenerateRandomizationList.KitArm, kits.Select(k => (k.Id, k.SealedArm)));

    /// <summary>Kits of each arm on the site's shelf (released, not dispensed).</summary>
    public static async Task<Dictionary<string, int>> ShelfByArmAsync(TrialApp app, RandomizationTrial trial, Guid siteId)
    {
        var kits = await app.WithDbAsync(db => db.Kits.AsNoTracking().Where(k => k.TrialId == trial.TrialId && k.SiteId == siteId && k.State == KitState.AtSite).ToListAsync());
        var arms = await ArmsAsync(app, trial.TrialId, kits);
        return trial.Protocol.Arms.ToDictionary(a => a.Code, a => arms.Values.Count(v => v == a.Code), StringComparer.Ordinal);
    }

    public static DateOnly LocalToday(TrialApp app, RandomizationTrial trial, string siteCode) =>
        SiteCalendar.LocalDate(app.Clock.GetUtcNow(), TimeZoneInfo.FindSystemTimeZoneById(trial.Protocol.FindSite(siteCode)!.TimeZone));

    public static async Task<Guid> DepotOfAsync(TrialApp app, Guid trialId, Guid siteId) =>
        await app.WithDbAsync(db => db.TrialSites.Where(l => l.TrialId == trialId && l.SiteId == siteId).Select(l => l.DepotId!.Value).SingleAsync());

    public static async Task<string> UserIdAsync(TrialApp app, string local) =>
        await app.WithDbAsync(db => db.Users.Where(u => u.Email == app.Account(local).Email).Select(u => u.Id).SingleAsync());

    /// <summary>
    /// Randomizes new participants at the site one at a time, running the resupply check after each, until the check
    /// proposes a shipment to the site; returns it (still requested).
    /// </summary>
    public static async Task<Shipment> ProposeAsync(TrialApp app, RandomizationTrial trial, string siteCode, string coordinator)
    {
        var siteId = await app.SiteIdAsync(siteCode);
        for (var i = 0; i < 60; i++)
        {
            var id = (await trial.AddEligibleParticipantsAsync(app, siteCode, 1)).Single();
            var randomized = await RandomizeAsync(app, coordinator, id);
            Assert.True(randomized.Succeeded, Describe(randomized.Outcome));
            await CheckAsync(app);
            var requested = await ShipmentsAsync(app, trial.TrialId, siteId, ShipmentStatus.Requested);
            if (requested.Count > 0)
            {
                return Assert.Single(requested);
            }
        }

        throw new InvalidOperationException($"No shipment to {siteCode} was proposed after 60 randomizations.");
    }

    /// <summary>A proposed shipment to the site, sent by the depot; returns it and its packing list.</summary>
    public static async Task<(Shipment Shipment, List<string> Codes)> ShippedAsync(TrialApp app, RandomizationTrial trial, string siteCode, string coordinator)
    {
        var shipment = await ProposeAsync(app, trial, siteCode, coordinator);
        var shipped = await ShipAsync(app, shipment.Id);
        Assert.True(shipped.Succeeded, Describe(shipped));
        return (await ShipmentAsync(app, shipment.Id), await PackingListAsync(app, shipment.Id));
    }
}

/// <summary>
/// Drug supply through the real operations in the real app: the initial stock, the resupply check, shipping, receipt
/// (with excursions, damage and missing kits), quarantine decisions, lots, witnessed destruction, site scoping, the
/// append-only log, and that nothing written names an arm. Nothing here moves the clock (see <see cref="KitExpiryTests"/>).
/// </summary>
public class SupplyOperationTests(TrialApp app) : IClassFixture<TrialApp>
{
    private const int KitsPerSite = 12;
    private const int Minimum = 4;
    private static int _trials;

    private Task<RandomizationTrial> NewTrialAsync(int kitsPerSite = KitsPerSite) =>
        RandomizationTrial.CreateAsync(app, $"SUP-{Interlocked.Increment(ref _trials):00}", kitsPerSite);

    [Fact]
    public async Task Generating_the_list_gives_each_site_a_received_initial_shipment_and_a_reconciled_log_and_each_depot_a_reserve()
    {
        var trial = await NewTrialAsync();

        foreach (var siteCode in new[] { "LON", "BOS" })
        {
            var siteId = await app.SiteIdAsync(siteCode);
            var shipment = Assert.Single(await SupplyScenario.ShipmentsAsync(app, trial.TrialId, siteId));
            Assert.Equal((0, ShipmentStatus.Received, ShipmentReason.Initial, KitsPerSite), (shipment.Number, shipment.Status, shipment.Reason, shipment.KitCount));
            Assert.NotNull(shipment.ReceivedAt);
            Assert.Equal(await SupplyScenario.DepotOfAsync(app, trial.TrialId, siteId), shipment.DepotId);

            var codes = await SupplyScenario.PackingListAsync(app, shipment.Id);
            Assert.Equal(KitsPerSite, codes.Count);
            var kits = await SupplyScenario.KitsAsync(app, codes);
            Assert.All(kits, k => Assert.Equal((KitState.AtSite, siteId, shipment.Id, 10), (k.State, k.SiteId!.Value, k.ShipmentId!.Value, k.Units)));
            Assert.All(kits, k => Assert.NotNull(k.LotId));

            // Every arm in the ratio: the initial stock is whole kit sets.
            var arms = await SupplyScenario.ArmsAsync(app, trial.TrialId, kits);
            Assert.All(trial.Protocol.Arms, a => Assert.Equal(KitsPerSite / trial.Protocol.RatioSum * a.Ratio, arms.Values.Count(v => v == a.Code)));

            var ledger = await SupplyScenario.LedgerAsync(app, trial.TrialId, siteId);
            Assert.Equal(codes.Order(StringComparer.Ordinal), ledger.Select(e => e.KitCode).Order(StringComparer.Ordinal));
            Assert.All(ledger, e => Assert.Equal((KitEventKind.Received, 10, shipment.Id), (e.Kind, e.Units!.Value, e.ShipmentId!.Value)));

            var report = await SupplyScenario.ReconcileAsync(app, trial, siteId);
            SupplyScenario.AssertReconciled(report);
            Assert.Equal(new UnitBalance(KitsPerSite * 10, KitsPerSite * 10, 0, 0, 0, 0), report.Balance);
        }

        // Each depot keeps two restocks (to resupply_max per arm) for the one site it supplies, in whole kit sets.
        foreach (var siteCode in new[] { "LON", "BOS" })
        {
            var depot = await SupplyScenario.DepotOfAsync(app, trial.TrialId, await app.SiteIdAsync(siteCode));
            var reserve = await app.WithDbAsync(db => db.Kits.AsNoTracking().Where(k => k.TrialId == trial.TrialId && k.DepotId == depot && k.SiteId == null).ToListAsync());
            Assert.Equal(2 * KitsPerSite * trial.Protocol.RatioSum, reserve.Count);
            Assert.All(reserve, k => Assert.Equal((KitState.AtDepot, (Guid?)null), (k.State, k.ShipmentId)));
            var arms = await SupplyScenario.ArmsAsync(app, trial.TrialId, reserve);
            Assert.Single(arms.Values.GroupBy(a => a).Select(g => g.Count()).Distinct());
        }

        var depots = await app.WithDbAsync(db => db.Depots.OrderBy(d => d.Code).Select(d => d.Code).ToListAsync());
        Assert.Equal(["EUD", "USD"], depots);
    }

    [Fact]
    public async Task The_resupply_check_proposes_whole_kit_sets_only_when_an_arm_falls_under_the_minimum_and_only_once()
    {
        var trial = await NewTrialAsync();
        var lon = await app.SiteIdAsync("LON");
        var bos = await app.SiteIdAsync("BOS");
        await SupplyScenario.CheckAsync(app);
        Assert.Empty(await SupplyScenario.ShipmentsAsync(app, trial.TrialId, lon, ShipmentStatus.Requested));

        var ids = await trial.AddEligibleParticipantsAsync(app, "LON", KitsPerSite);
        Shipment? proposed = null;
        Dictionary<string, int> shelf = [];
        foreach (var id in ids)
        {
            var randomized = await SupplyScenario.RandomizeAsync(app, "coordinator", id);
            Assert.True(randomized.Succeeded, SupplyScenario.Describe(randomized.Outcome));
            await SupplyScenario.CheckAsync(app);
            shelf = await SupplyScenario.ShelfByArmAsync(app, trial, lon);
            var requested = await SupplyScenario.ShipmentsAsync(app, trial.TrialId, lon, ShipmentStatus.Requested);
            if (shelf.Values.Min() >= Minimum)
            {
                Assert.Empty(requested);
                continue;
            }

            proposed = Assert.Single(requested);
            break;
        }

        Assert.NotNull(proposed);
        Assert.Equal((1, ShipmentReason.Resupply), (proposed.Number, proposed.Reason));
        Assert.Equal(SupplyScenario.LocalToday(app, trial, "LON").AddDays(2), proposed.ExpectedOn);
        Assert.True(proposed.KitCount > 0);
        Assert.Equal(0, proposed.KitCount % trial.Protocol.RatioSum);

        // The packing list: depot kits, reserved for the shipment, every arm in the ratio, topping the lowest arm up to
        // exactly resupply_max and every other arm at least to it.
        var codes = await SupplyScenario.PackingListAsync(app, proposed.Id);
        Assert.Equal(proposed.KitCount, codes.Count);
        var packed = await SupplyScenario.KitsAsync(app, codes);
        var depot = await SupplyScenario.DepotOfAsync(app, trial.TrialId, lon);
        Assert.All(packed, k => Assert.Equal((KitState.AtDepot, (Guid?)null, depot, proposed.Id), (k.State, k.SiteId, k.DepotId!.Value, k.ShipmentId!.Value)));
        var packedArms = await SupplyScenario.ArmsAsync(app, trial.TrialId, packed);
        var sets = proposed.KitCount / trial.Protocol.RatioSum;
        Assert.All(trial.Protocol.Arms, a => Assert.Equal(sets * a.Ratio, packedArms.Values.Count(v => v == a.Code)));
        var after = trial.Protocol.Arms.ToDictionary(a => a.Code, a => shelf[a.Code] + packedArms.Values.Count(v => v == a.Code));
        Assert.Equal(KitsPerSite, after.Values.Min());

        // Right after, the shipment on its way is counted: nothing more is proposed, to LON or to BOS.
        await SupplyScenario.CheckAsync(app);
        await SupplyScenario.CheckAsSystemAsync(app);
        Assert.Equal([proposed.Id], (await SupplyScenario.ShipmentsAsync(app, trial.TrialId, lon)).Where(s => s.Number > 0).Select(s => s.Id));
        Assert.DoesNotContain(await SupplyScenario.ShipmentsAsync(app, trial.TrialId, bos), s => s.Number > 0);

        // The depot manager is told; the message counts kits and names no arm.
        var told = await app.WithDbAsync(db => db.Notifications.Where(n => n.Subject == $"Resupply proposed: {trial.Code} shipment 1 to LON").Join(db.Users, n => n.UserId, u => u.Id, (n, u) => new { u.Email, n.Body }).ToListAsync());
        var message = Assert.Single(told);
        Assert.Equal(app.Account("depot").Email, message.Email);
        Assert.Contains($"{proposed.KitCount} kits", message.Body, StringComparison.Ordinal);
        Assert.True(await app.WithDbAsync(db => db.AuditTrail.AnyAsync(e => e.TrialId == trial.TrialId && e.Action == "ProposeShipment" && e.EntityId == proposed.Id.ToString())));
    }

    [Fact]
    public async Task Shipped_then_received_kits_go_on_the_shelf_and_the_log_reconciles()
    {
        var trial = await NewTrialAsync();
        var lon = await app.SiteIdAsync("LON");
        var proposed = await SupplyScenario.ProposeAsync(app, trial, "LON", "coordinator");
        var codes = await SupplyScenario.PackingListAsync(app, proposed.Id);
        var before = await SupplyScenario.ReconcileAsync(app, trial, lon);
        SupplyScenario.AssertReconciled(before);

        // The carrier is required; nothing is shipped without it.
        var noCarrier = await app.AsUserAsync("depot", s => s.GetRequiredService<ShipShipment>().ExecuteAsync(proposed.Id, " ", null));
        Assert.Contains("Carrier", noCarrier.Errors.Keys);
        Assert.Equal(ShipmentStatus.Requested, (await SupplyScenario.ShipmentAsync(app, proposed.Id)).Status);

        var shipped = await SupplyScenario.ShipAsync(app, proposed.Id);
        Assert.True(shipped.Succeeded, SupplyScenario.Describe(shipped));
        var shipment = await SupplyScenario.ShipmentAsync(app, proposed.Id);
        Assert.Equal((ShipmentStatus.Shipped, SupplyScenario.Carrier, "CCC-0001", "Dee Depot"), (shipment.Status, shipment.Carrier, shipment.TrackingNumber, shipment.ShippedByName));
        Assert.All(await SupplyScenario.KitsAsync(app, codes), k => Assert.Equal((KitState.InTransit, lon), (k.State, k.SiteId!.Value)));
        var shippedLines = (await SupplyScenario.LedgerAsync(app, trial.TrialId, lon)).Where(e => e.ShipmentId == proposed.Id).ToList();
        Assert.Equal(codes.Order(StringComparer.Ordinal), shippedLines.Select(e => e.KitCode).Order(StringComparer.Ordinal));
        Assert.All(shippedLines, e => Assert.Equal(KitEventKind.Shipped, e.Kind));

        // Kits in transit are not yet in the site's custody.
        var inTransit = await SupplyScenario.ReconcileAsync(app, trial, lon);
        SupplyScenario.AssertReconciled(inTransit);
        Assert.Equal(before.Balance, inTransit.Balance);
        Assert.False((await SupplyScenario.ShipAsync(app, proposed.Id)).Succeeded);
        Assert.True(await app.WithDbAsync(db => db.Notifications.AnyAsync(n => n.Subject == "Shipment 1 is on its way" && n.Link == $"/shipments/{proposed.Id}" && db.Users.Any(u => u.Id == n.UserId && u.Email == app.Account("coordinator").Email))));

        var received = await SupplyScenario.ReceiveAsync(app, "coordinator", proposed.Id, SupplyScenario.GoodReceipt(codes));
        Assert.True(received.Succeeded, SupplyScenario.Describe(received));

        shipment = await SupplyScenario.ShipmentAsync(app, proposed.Id);
        Assert.Equal((ShipmentStatus.Received, "Casey Coordinator", true, false, 4.5m, 7.0m), (shipment.Status, shipment.ReceivedByName, shipment.PackagingIntact, shipment.TemperatureExcursion, shipment.MinimumTemperatureC, shipment.MaximumTemperatureC));
        Assert.All(await SupplyScenario.KitsAsync(app, codes), k => Assert.Equal((KitState.AtSite, 10), (k.State, k.Units)));
        var after = await SupplyScenario.ReconcileAsync(app, trial, lon);
        SupplyScenario.AssertReconciled(after);
        Assert.Equal(before.Balance.Received + (codes.Count * 10), after.Balance.Received);
        Assert.Equal(before.Balance.OnSite + (codes.Count * 10), after.Balance.OnSite);
        Assert.All((await SupplyScenario.ShelfByArmAsync(app, trial, lon)).Values, count => Assert.True(count >= KitsPerSite));

        var again = await SupplyScenario.ReceiveAsync(app, "coordinator", proposed.Id, SupplyScenario.GoodReceipt(codes));
        Assert.Contains("already been received", SupplyScenario.Describe(again), StringComparison.Ordinal);
        Assert.Equal(after.Balance, (await SupplyScenario.ReconcileAsync(app, trial, lon)).Balance);

        // The new kits are dispensed like the others.
        var id = (await trial.AddEligibleParticipantsAsync(app, "LON", 1)).Single();
        Assert.True((await SupplyScenario.RandomizeAsync(app, "coordinator", id)).Succeeded);
        SupplyScenario.AssertReconciled(await SupplyScenario.ReconcileAsync(app, trial, lon));
    }

    [Fact]
    public async Task A_temperature_excursion_quarantines_the_shipment_until_the_depot_releases_it()
    {
        var trial = await NewTrialAsync();
        var lon = await app.SiteIdAsync("LON");
        var (shipment, codes) = await SupplyScenario.ShippedAsync(app, trial, "LON", "coordinator");
        var shelfBefore = await SupplyScenario.ShelfByArmAsync(app, trial, lon);

        var receipt = SupplyScenario.GoodReceipt(codes) with { TemperatureExcursion = true, MinimumTemperatureC = "2.0", MaximumTemperatureC = "14.5", Note = "Logger showed 14.5 °C for three hours." };
        var received = await SupplyScenario.ReceiveAsync(app, "coordinator", shipment.Id, receipt);
        Assert.True(received.Succeeded, SupplyScenario.Describe(received));

        Assert.Equal(ShipmentStatus.Quarantined, (await SupplyScenario.ShipmentAsync(app, shipment.Id)).Status);
        Assert.All(await SupplyScenario.KitsAsync(app, codes), k => Assert.Equal((KitState.Quarantined, 10), (k.State, k.Units)));
        Assert.Equal(shelfBefore, await SupplyScenario.ShelfByArmAsync(app, trial, lon));
        var lines = (await SupplyScenario.LedgerAsync(app, trial.TrialId, lon)).Where(e => e.ShipmentId == shipment.Id).ToList();
        foreach (var code in codes)
        {
            Assert.Equal([KitEventKind.Shipped, KitEventKind.Received, KitEventKind.Quarantined], lines.Where(e => e.KitCode == code).Select(e => e.Kind));
        }

        SupplyScenario.AssertReconciled(await SupplyScenario.ReconcileAsync(app, trial, lon));
        Assert.True(await app.WithDbAsync(db => db.Notifications.AnyAsync(n => n.Subject == "Shipment 1 is in quarantine: decide" && n.Link == $"/shipments/{shipment.Id}")));

        // One held kit cannot be released on its own at the site, and site staff cannot decide for the depot.
        var single = await SupplyScenario.KitEventAsync(app, "coordinator", trial.TrialId, lon, codes[0], SiteKitAction.Release);
        Assert.Contains("held with its shipment", SupplyScenario.Describe(single), StringComparison.Ordinal);
        await Assert.ThrowsAsync<OperationForbiddenException>(() => SupplyScenario.DecideAsync(app, shipment.Id, true, "Fine", user: "coordinator"));
        var noGrounds = await SupplyScenario.DecideAsync(app, shipment.Id, true, "  ");
        Assert.Contains("DecisionNote", noGrounds.Errors.Keys);
        Assert.All(await SupplyScenario.KitsAsync(app, codes), k => Assert.Equal(KitState.Quarantined, k.State));

        var released = await SupplyScenario.DecideAsync(app, shipment.Id, true, "Stability data covers 72 h up to 25 °C.");
        Assert.True(released.Succeeded, SupplyScenario.Describe(released));

        var decided = await SupplyScenario.ShipmentAsync(app, shipment.Id);
        Assert.Equal((ShipmentStatus.Released, "Dee Depot", "Stability data covers 72 h up to 25 °C."), (decided.Status, decided.DecidedByName, decided.DecisionNote));
        Assert.All(await SupplyScenario.KitsAsync(app, codes), k => Assert.Equal(KitState.AtSite, k.State));
        var shelfAfter = await SupplyScenario.ShelfByArmAsync(app, trial, lon);
        Assert.Equal(shelfBefore.Values.Sum() + codes.Count, shelfAfter.Values.Sum());
        Assert.Equal(codes.Count, (await SupplyScenario.LedgerAsync(app, trial.TrialId, lon)).Count(e => e.ShipmentId == shipment.Id && e.Kind == KitEventKind.Released));
        SupplyScenario.AssertReconciled(await SupplyScenario.ReconcileAsync(app, trial, lon));
        Assert.False((await SupplyScenario.DecideAsync(app, shipment.Id, false, "Changed my mind")).Succeeded);
        Assert.True(await app.WithDbAsync(db => db.Notifications.AnyAsync(n => n.Subject == "Shipment 1 released" && n.Link == $"/shipments/{shipment.Id}")));
    }

    [Fact]
    public async Task Damaged_packaging_quarantines_the_shipment_and_a_rejection_makes_its_kits_damaged()
    {
        var trial = await NewTrialAsync();
        var bos = await app.SiteIdAsync("BOS");
        var (shipment, codes) = await SupplyScenario.ShippedAsync(app, trial, "BOS", "coordinator.bos");
        var shelfBefore = await SupplyScenario.ShelfByArmAsync(app, trial, bos);
        var before = await SupplyScenario.ReconcileAsync(app, trial, bos);

        var receipt = SupplyScenario.GoodReceipt(codes) with { PackagingIntact = false, Note = "Outer box crushed, inner cartons dented." };
        var received = await SupplyScenario.ReceiveAsync(app, "coordinator.bos", shipment.Id, receipt);
        Assert.True(received.Succeeded, SupplyScenario.Describe(received));
        Assert.Equal(ShipmentStatus.Quarantined, (await SupplyScenario.ShipmentAsync(app, shipment.Id)).Status);

        var rejected = await SupplyScenario.DecideAsync(app, shipment.Id, false, "Crushed cartons: not usable.");
        Assert.True(rejected.Succeeded, SupplyScenario.Describe(rejected));

        Assert.Equal(ShipmentStatus.Rejected, (await SupplyScenario.ShipmentAsync(app, shipment.Id)).Status);
        Assert.All(await SupplyScenario.KitsAsync(app, codes), k => Assert.Equal((KitState.Damaged, 10), (k.State, k.Units)));
        Assert.Equal(shelfBefore, await SupplyScenario.ShelfByArmAsync(app, trial, bos));
        var after = await SupplyScenario.ReconcileAsync(app, trial, bos);
        SupplyScenario.AssertReconciled(after);
        Assert.Equal(before.Balance.OnSite + (codes.Count * 10), after.Balance.OnSite);

        // A damaged kit cannot go back on the shelf.
        var release = await SupplyScenario.KitEventAsync(app, "coordinator.bos", trial.TrialId, bos, codes[0], SiteKitAction.Release);
        Assert.False(release.Succeeded);
        Assert.Equal(KitState.Damaged, (await SupplyScenario.KitsAsync(app, [codes[0]])).Single().State);
        Assert.True(await app.WithDbAsync(db => db.Notifications.AnyAsync(n => n.Subject == "Shipment 1 rejected" && n.Link == $"/shipments/{shipment.Id}" && db.Users.Any(u => u.Id == n.UserId && u.Email == app.Account("coordinator.bos").Email))));
    }

    [Fact]
    public async Task A_kit_missing_on_arrival_is_lost_and_never_counted_in_and_a_damaged_one_is_held_apart()
    {
        var trial = await NewTrialAsync();
        var lon = await app.SiteIdAsync("LON");
        var (shipment, codes) = await SupplyScenario.ShippedAsync(app, trial, "LON", "coordinator");
        var before = await SupplyScenario.ReconcileAsync(app, trial, lon);

        var kits = codes.ToDictionary(c => c, _ => (KitArrival.Received, (string?)"10"), StringComparer.Ordinal);
        kits[codes[0]] = (KitArrival.Missing, null);
        kits[codes[1]] = (KitArrival.Damaged, "10");
        var received = await SupplyScenario.ReceiveAsync(app, "coordinator", shipment.Id, new ShipmentReceipt(true, false, null, null, "One kit missing, one cracked.", kits));
        Assert.True(received.Succeeded, SupplyScenario.Describe(received));

        Assert.Equal(ShipmentStatus.Received, (await SupplyScenario.ShipmentAsync(app, shipment.Id)).Status);
        var stored = (await SupplyScenario.KitsAsync(app, codes)).ToDictionary(k => k.Code, StringComparer.Ordinal);
        Assert.Equal((KitState.Lost, 0), (stored[codes[0]].State, stored[codes[0]].Units));
        Assert.Equal((KitState.Damaged, 10), (stored[codes[1]].State, stored[codes[1]].Units));
        Assert.All(codes.Skip(2), c => Assert.Equal(KitState.AtSite, stored[c].State));

        var log = await SupplyScenario.LedgerAsync(app, trial.TrialId, lon);
        Assert.Equal([KitEventKind.Shipped, KitEventKind.Lost], log.Where(e => e.KitCode == codes[0]).Select(e => e.Kind));
        Assert.Contains("missing on arrival", log.Last(e => e.KitCode == codes[0]).Reason, StringComparison.Ordinal);
        Assert.Equal([KitEventKind.Shipped, KitEventKind.Received, KitEventKind.Damaged], log.Where(e => e.KitCode == codes[1]).Select(e => e.Kind));

        var after = await SupplyScenario.ReconcileAsync(app, trial, lon);
        SupplyScenario.AssertReconciled(after);
        Assert.Equal(before.Balance.Received + ((codes.Count - 1) * 10), after.Balance.Received);
        Assert.Equal(before.Balance.Lost, after.Balance.Lost);
        Assert.True(await app.WithDbAsync(db => db.Notifications.AnyAsync(n => n.Subject == "Shipment 1 arrived with damaged or missing kits" && n.Link == $"/shipments/{shipment.Id}")));
    }

    [Fact]
    public async Task A_receipt_with_a_short_count_is_accepted_but_reconciliation_reports_it()
    {
        var trial = await NewTrialAsync();
        var lon = await app.SiteIdAsync("LON");
        var (shipment, codes) = await SupplyScenario.ShippedAsync(app, trial, "LON", "coordinator");
        var kits = codes.ToDictionary(c => c, _ => (KitArrival.Received, (string?)"10"), StringComparer.Ordinal);
        kits[codes[0]] = (KitArrival.Received, "9");

        var received = await SupplyScenario.ReceiveAsync(app, "coordinator", shipment.Id, new ShipmentReceipt(true, false, null, null, "", kits));

        Assert.True(received.Succeeded, SupplyScenario.Describe(received));
        Assert.Equal(9, (await SupplyScenario.KitsAsync(app, [codes[0]])).Single().Units);
        var report = await SupplyScenario.ReconcileAsync(app, trial, lon);
        Assert.True(report.Balance.Holds);
        var finding = Assert.Single(report.Findings);
        Assert.Equal((LedgerIssue.ReceiptCountMismatch, codes[0]), (finding.Issue, finding.KitCode));
    }

    [Fact]
    public async Task An_incomplete_or_wrong_receipt_is_refused_field_by_field_and_nothing_is_saved()
    {
        var trial = await NewTrialAsync();
        var lon = await app.SiteIdAsync("LON");
        var proposed = await SupplyScenario.ProposeAsync(app, trial, "LON", "coordinator");
        var codes = await SupplyScenario.PackingListAsync(app, proposed.Id);

        // Not sent yet: a complete receipt is still refused.
        var early = await SupplyScenario.ReceiveAsync(app, "coordinator", proposed.Id, SupplyScenario.GoodReceipt(codes));
        Assert.Contains("has not been sent yet", SupplyScenario.Describe(early), StringComparison.Ordinal);
        Assert.True((await SupplyScenario.ShipAsync(app, proposed.Id)).Succeeded);
        var logBefore = (await SupplyScenario.LedgerAsync(app, trial.TrialId, lon)).Count;

        var blank = await SupplyScenario.ReceiveAsync(app, "coordinator", proposed.Id, new ShipmentReceipt(null, null, null, null, null, new Dictionary<string, (KitArrival, string?)>()));
        Assert.Contains(ReceiveShipment.PackagingField, blank.Errors.Keys);
        Assert.Contains(ReceiveShipment.ExcursionField, blank.Errors.Keys);
        Assert.All(codes, c => Assert.Contains($"Say whether kit {c} arrived.", blank.Errors[ReceiveShipment.KitField(c)]));

        var good = SupplyScenario.GoodReceipt(codes);
        var cases = new (ShipmentReceipt Receipt, string Field, string Fragment)[]
        {
            (good with { TemperatureExcursion = true, Note = "  " }, ReceiveShipment.NoteField, "Describe the excursion"),
            (good with { PackagingIntact = false, Note = null }, ReceiveShipment.NoteField, "Describe the excursion or the damage"),
            (good with { Note = new string('x', 2001) }, ReceiveShipment.NoteField, "at most 2000 characters"),
            (good with { MinimumTemperatureC = "cold" }, ReceiveShipment.MinimumField, "from -80 to 80"),
            (good with { MaximumTemperatureC = "81" }, ReceiveShipment.MaximumField, "from -80 to 80"),
            (good with { MinimumTemperatureC = "8", MaximumTemperatureC = "2" }, ReceiveShipment.MaximumField, "cannot be below the lowest"),
            (WithKit(good, codes[0], KitArrival.Received, "ten"), ReceiveShipment.KitField(codes[0]), $"Count the capsules in kit {codes[0]} (a kit holds 10)"),
            (WithKit(good, codes[0], KitArrival.Received, "0"), ReceiveShipment.KitField(codes[0]), "Count the capsules"),
            (WithKit(good, codes[0], KitArrival.Received, "1001"), ReceiveShipment.KitField(codes[0]), "Count the capsules"),
            (WithKit(good, codes[0], KitArrival.Received, "-1"), ReceiveShipment.KitField(codes[0]), "Count the capsules"),
            (WithKit(good, codes[0], KitArrival.Received, null), ReceiveShipment.KitField(codes[0]), "Count the capsules"),
            (WithKit(good, codes[1], KitArrival.Damaged, ""), ReceiveShipment.KitField(codes[1]), "Count the capsules"),
        };
        foreach (var (receipt, field, fragment) in cases)
        {
            var refused = await SupplyScenario.ReceiveAsync(app, "coordinator", proposed.Id, receipt);
            Assert.False(refused.Succeeded, $"{field} should have been refused");
            Assert.True(refused.Errors.TryGetValue(field, out var messages) && messages.Any(m => m.Contains(fragment, StringComparison.Ordinal)), $"{field} \"{fragment}\"; got {SupplyScenario.Describe(refused)}");
        }

        // Nothing was saved by any of them.
        var shipment = await SupplyScenario.ShipmentAsync(app, proposed.Id);
        Assert.Equal((ShipmentStatus.Shipped, (DateTimeOffset?)null, ""), (shipment.Status, shipment.ReceivedAt, shipment.ReceiptNote));
        Assert.All(await SupplyScenario.KitsAsync(app, codes), k => Assert.Equal(KitState.InTransit, k.State));
        Assert.Equal(logBefore, (await SupplyScenario.LedgerAsync(app, trial.TrialId, lon)).Count);
        Assert.False(await app.WithDbAsync(db => db.AuditTrail.AnyAsync(e => e.Action == "ReceiveShipment" && e.EntityId == proposed.Id.ToString())));

        // A missing kit needs no count; the complete receipt then goes through.
        var fine = await SupplyScenario.ReceiveAsync(app, "coordinator", proposed.Id, WithKit(good, codes[0], KitArrival.Missing, null));
        Assert.True(fine.Succeeded, SupplyScenario.Describe(fine));
        SupplyScenario.AssertReconciled(await SupplyScenario.ReconcileAsync(app, trial, lon));

        static ShipmentReceipt WithKit(ShipmentReceipt receipt, string code, KitArrival arrival, string? units)
        {
            var kits = receipt.Kits.ToDictionary(StringComparer.Ordinal);
            kits[code] = (arrival, units);
            return receipt with { Kits = kits };
        }
    }

    [Fact]
    public async Task A_cancelled_proposal_frees_its_kits_and_the_next_check_proposes_again()
    {
        var trial = await NewTrialAsync();
        var lon = await app.SiteIdAsync("LON");
        var proposed = await SupplyScenario.ProposeAsync(app, trial, "LON", "coordinator");
        var codes = await SupplyScenario.PackingListAsync(app, proposed.Id);

        await Assert.ThrowsAsync<OperationForbiddenException>(() => app.AsUserAsync("coordinator", s => s.GetRequiredService<CancelShipment>().ExecuteAsync(proposed.Id, "No")));
        var noReason = await app.AsUserAsync("depot", s => s.GetRequiredService<CancelShipment>().ExecuteAsync(proposed.Id, ""));
        Assert.Contains("Reason", noReason.Errors.Keys);
        var cancelled = await app.AsUserAsync("depot", s => s.GetRequiredService<CancelShipment>().ExecuteAsync(proposed.Id, "Courier strike; re-plan tomorrow."));
        Assert.True(cancelled.Succeeded, SupplyScenario.Describe(cancelled));

        Assert.Equal(ShipmentStatus.Cancelled, (await SupplyScenario.ShipmentAsync(app, proposed.Id)).Status);
        Assert.All(await SupplyScenario.KitsAsync(app, codes), k => Assert.Equal((KitState.AtDepot, (Guid?)null, (Guid?)null), (k.State, k.ShipmentId, k.SiteId)));
        Assert.False((await SupplyScenario.ShipAsync(app, proposed.Id)).Succeeded);

        await SupplyScenario.CheckAsync(app);
        var again = Assert.Single(await SupplyScenario.ShipmentsAsync(app, trial.TrialId, lon, ShipmentStatus.Requested));
        Assert.Equal(2, again.Number);
        SupplyScenario.AssertReconciled(await SupplyScenario.ReconcileAsync(app, trial, lon));
    }

    [Fact]
    public async Task A_lot_is_registered_at_a_depot_as_whole_kit_sets_and_its_inputs_are_checked()
    {
        var trial = await NewTrialAsync();
        var lon = await app.SiteIdAsync("LON");
        var depot = await SupplyScenario.DepotOfAsync(app, trial.TrialId, lon);
        var today = DateOnly.FromDateTime(app.Clock.GetUtcNow().UtcDateTime);
        string Iso(DateOnly d) => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Task<OperationResult<KitLot>> RegisterAsync(Guid? depotId, string? number, string? expires, string? sets, string user = "depot") =>
            app.AsUserAsync(user, s => s.GetRequiredService<RegisterLot>().ExecuteAsync(trial.TrialId, depotId, number, expires, sets));

        var registered = await RegisterAsync(depot, "LOT-A1", Iso(today.AddDays(200)), "5");
        Assert.True(registered.Succeeded, SupplyScenario.Describe(registered.Outcome));
        var lot = registered.Value!;
        Assert.Equal((10, depot, today.AddDays(200), "Dee Depot"), (lot.KitCount, lot.DepotId!.Value, lot.ExpiresOn, lot.CreatedByName));
        var kits = await app.WithDbAsync(db => db.Kits.AsNoTracking().Where(k => k.LotId == lot.Id).ToListAsync());
        Assert.Equal(10, kits.Count);
        Assert.All(kits, k => Assert.Equal((KitState.AtDepot, depot, (Guid?)null, today.AddDays(200), 10), (k.State, k.DepotId!.Value, k.SiteId, k.ExpiresOn, k.Units)));
        Assert.Equal(10, kits.Select(k => k.Code).Distinct().Count());
        var arms = await SupplyScenario.ArmsAsync(app, trial.TrialId, kits);
        Assert.All(trial.Protocol.Arms, a => Assert.Equal(5 * a.Ratio, arms.Values.Count(v => v == a.Code)));

        var lots = await app.WithDbAsync(db => db.KitLots.CountAsync(l => l.TrialId == trial.TrialId));
        var cases = new (Guid? Depot, string? Number, string? Expires, string? Sets, string Field)[]
        {
            (depot, "LOT-A1", Iso(today.AddDays(200)), "5", "Number"),
            (depot, "LOT A2", Iso(today.AddDays(200)), "5", "Number"),
            (depot, "", Iso(today.AddDays(200)), "5", "Number"),
            (null, "LOT-A2", Iso(today.AddDays(200)), "5", "DepotId"),
            (Guid.NewGuid(), "LOT-A2", Iso(today.AddDays(200)), "5", "DepotId"),
            (depot, "LOT-A2", "31/12/2030", "5", "ExpiresOn"),
            (depot, "LOT-A2", Iso(today.AddDays(trial.Protocol.Kits.ExpiryMarginDays)), "5", "ExpiresOn"),
            (depot, "LOT-A2", Iso(today.AddDays(200)), "0", "KitSets"),
            (depot, "LOT-A2", Iso(today.AddDays(200)), "501", "KitSets"),
            (depot, "LOT-A2", Iso(today.AddDays(200)), "five", "KitSets"),
        };
        foreach (var (depotId, number, expires, sets, field) in cases)
        {
            var refused = await RegisterAsync(depotId, number, expires, sets);
            Assert.False(refused.Succeeded, $"{field} should have been refused");
            Assert.Contains(field, refused.Outcome.Errors.Keys);
        }

        Assert.True((await RegisterAsync(depot, "LOT-A2", Iso(today.AddDays(trial.Protocol.Kits.ExpiryMarginDays + 1)), "1")).Succeeded);
        await Assert.ThrowsAsync<OperationForbiddenException>(() => RegisterAsync(depot, "LOT-A3", Iso(today.AddDays(200)), "5", user: "coordinator"));
        await Assert.ThrowsAsync<OperationForbiddenException>(() => RegisterAsync(depot, "LOT-A3", Iso(today.AddDays(200)), "5", user: "datamanager"));
        Assert.Equal(lots + 1, await app.WithDbAsync(db => db.KitLots.CountAsync(l => l.TrialId == trial.TrialId)));
    }

    [Fact]
    public async Task A_destruction_needs_two_distinct_users_each_with_their_password()
    {
        var trial = await NewTrialAsync();
        var lon = await app.SiteIdAsync("LON");
        var participant = (await trial.AddEligibleParticipantsAsync(app, "LON", 1)).Single();
        var dispensed = (await SupplyScenario.RandomizeAsync(app, "coordinator", participant)).Value!.KitCode;
        var shelf = await app.WithDbAsync(db => db.Kits.AsNoTracking().Where(k => k.TrialId == trial.TrialId && k.SiteId == lon && k.State == KitState.AtSite).OrderBy(k => k.Code).Select(k => k.Code).Take(3).ToListAsync());
        foreach (var code in shelf.Take(2))
        {
            var quarantined = await SupplyScenario.KitEventAsync(app, "coordinator", trial.TrialId, lon, code, SiteKitAction.Quarantine, "Label smudged");
            Assert.True(quarantined.Succeeded, SupplyScenario.Describe(quarantined));
        }

        Assert.True((await app.AsUserAsync("coordinator", s => s.GetRequiredService<ReturnKit>().ExecuteAsync(participant, dispensed, "7"))).Succeeded);
        string[] toDestroy = [shelf[0], shelf[1], dispensed];
        var password = app.Account("coordinator").Password;
        Task<OperationResult<Guid>> RecordAsync(IReadOnlyList<string> codes, string? pwd, string user = "coordinator", Guid? site = null) =>
            app.AsUserAsync(user, s => s.GetRequiredService<RecordDestruction>().ExecuteAsync(trial.TrialId, site ?? lon, codes, "Incineration by licensed contractor", "Quarterly destruction", pwd));
        Task<OperationResult> WitnessAsync(Guid destructionId, string user, string? pwd) =>
            app.AsUserAsync(user, s => s.GetRequiredService<WitnessDestruction>().ExecuteAsync(destructionId, pwd));
        var destructions = await app.WithDbAsync(db => db.KitDestructions.CountAsync(d => d.TrialId == trial.TrialId));

        // A dispensable kit on the shelf must be quarantined first; a dispensed one cannot be destroyed at all.
        var shelfKit = await RecordAsync([shelf[2]], password);
        Assert.Contains("quarantine a shelf kit first", SupplyScenario.Describe(shelfKit.Outcome), StringComparison.Ordinal);
        var other = (await trial.AddEligibleParticipantsAsync(app, "LON", 1)).Single();
        var withParticipant = (await SupplyScenario.RandomizeAsync(app, "coordinator", other)).Value!.KitCode;
        Assert.Contains($"Kit {withParticipant} is Dispensed", SupplyScenario.Describe((await RecordAsync([withParticipant], password)).Outcome), StringComparison.Ordinal);
        Assert.Contains(RecordDestruction.PasswordField, (await RecordAsync(toDestroy, "not-the-password")).Outcome.Errors.Keys);
        Assert.Contains("Method", (await app.AsUserAsync("coordinator", s => s.GetRequiredService<RecordDestruction>().ExecuteAsync(trial.TrialId, lon, toDestroy, "", null, password))).Outcome.Errors.Keys);
        Assert.Equal(destructions, await app.WithDbAsync(db => db.KitDestructions.CountAsync(d => d.TrialId == trial.TrialId)));

        var recorded = await RecordAsync(toDestroy, password);
        Assert.True(recorded.Succeeded, SupplyScenario.Describe(recorded.Outcome));
        var destructionId = recorded.Value;
        Assert.Contains("already in a destruction waiting for its witness", SupplyScenario.Describe((await RecordAsync([shelf[0]], password)).Outcome), StringComparison.Ordinal);
        Assert.True(await app.WithDbAsync(db => db.Notifications.AnyAsync(n => n.Subject == "A kit destruction needs a witness" && n.Link == $"/destructions/{destructionId}" && db.Users.Any(u => u.Id == n.UserId && u.Email == app.Account("investigator").Email))));

        // Recorded is not destroyed: the same person cannot witness, a wrong password witnesses nothing.
        async Task AssertNotDestroyedAsync()
        {
            var kits = (await SupplyScenario.KitsAsync(app, toDestroy)).ToDictionary(k => k.Code, StringComparer.Ordinal);
            Assert.Equal((KitState.Quarantined, KitState.Quarantined, KitState.Returned), (kits[shelf[0]].State, kits[shelf[1]].State, kits[dispensed].State));
            Assert.DoesNotContain(await SupplyScenario.LedgerAsync(app, trial.TrialId, lon), e => e.Kind == KitEventKind.Destroyed);
        }

        await AssertNotDestroyedAsync();
        var self = await WitnessAsync(destructionId, "coordinator", password);
        Assert.Contains("a second, different person must witness it", SupplyScenario.Describe(self), StringComparison.Ordinal);
        Assert.Contains(RecordDestruction.PasswordField, (await WitnessAsync(destructionId, "investigator", password)).Errors.Keys);
        await Assert.ThrowsAsync<OperationForbiddenException>(() => WitnessAsync(destructionId, "investigator.bos", app.Account("investigator.bos").Password));
        await Assert.ThrowsAsync<OperationForbiddenException>(() => WitnessAsync(destructionId, "depot", app.Account("depot").Password));
        await AssertNotDestroyedAsync();
        Assert.Equal(DestructionStatus.AwaitingWitness, await app.WithDbAsync(db => db.KitDestructions.Where(d => d.Id == destructionId).Select(d => d.Status).SingleAsync()));

        var witnessed = await WitnessAsync(destructionId, "investigator", app.Account("investigator").Password);
        Assert.True(witnessed.Succeeded, SupplyScenario.Describe(witnessed));

        Assert.All(await SupplyScenario.KitsAsync(app, toDestroy), k => Assert.Equal((KitState.Destroyed, 0), (k.State, k.Units)));
        var coordinatorId = await SupplyScenario.UserIdAsync(app, "coordinator");
        var investigatorId = await SupplyScenario.UserIdAsync(app, "investigator");
        var lines = (await SupplyScenario.LedgerAsync(app, trial.TrialId, lon)).Where(e => e.Kind == KitEventKind.Destroyed).ToList();
        Assert.Equal(toDestroy.Order(StringComparer.Ordinal), lines.Select(e => e.KitCode).Order(StringComparer.Ordinal));
        Assert.All(lines, e =>
        {
            Assert.Equal((coordinatorId, investigatorId, destructionId, investigatorId), (e.Witness1UserId, e.Witness2UserId, e.DestructionId!.Value, e.ByUserId));
            Assert.Contains("recorded by Casey Coordinator, witnessed by Ines Investigator", e.Reason, StringComparison.Ordinal);
        });
        var destruction = await app.WithDbAsync(db => db.KitDestructions.AsNoTracking().Include(d => d.Kits).SingleAsync(d => d.Id == destructionId));
        Assert.Equal((DestructionStatus.Witnessed, coordinatorId, investigatorId), (destruction.Status, destruction.RecordedByUserId, destruction.WitnessUserId));
        Assert.Equal(27, destruction.Kits.Sum(k => k.Units));

        var report = await SupplyScenario.ReconcileAsync(app, trial, lon);
        SupplyScenario.AssertReconciled(report);
        Assert.Equal((27, 3), (report.Balance.Destroyed, report.Balance.Consumed));

        Assert.Contains("witnessed; nothing was changed", SupplyScenario.Describe(await WitnessAsync(destructionId, "investigator", app.Account("investigator").Password)), StringComparison.Ordinal);
        Assert.False((await app.AsUserAsync("coordinator", s => s.GetRequiredService<CancelDestruction>().ExecuteAsync(destructionId))).Succeeded);
    }

    [Fact]
    public async Task A_destruction_withdrawn_before_its_witness_destroys_nothing()
    {
        var trial = await NewTrialAsync();
        var lon = await app.SiteIdAsync("LON");
        var code = await app.WithDbAsync(db => db.Kits.Where(k => k.TrialId == trial.TrialId && k.SiteId == lon && k.State == KitState.AtSite).Select(k => k.Code).FirstAsync());
        Assert.True((await SupplyScenario.KitEventAsync(app, "coordinator", trial.TrialId, lon, code, SiteKitAction.Damaged, "Blister pack torn")).Succeeded);
        var recorded = await app.AsUserAsync("investigator", s => s.GetRequiredService<RecordDestruction>().ExecuteAsync(trial.TrialId, lon, [code], "Denaturing kit", null, app.Account("investigator").Password));
        Assert.True(recorded.Succeeded, SupplyScenario.Describe(recorded.Outcome));

        await Assert.ThrowsAsync<OperationForbiddenException>(() => app.AsUserAsync("coordinator.bos", s => s.GetRequiredService<CancelDestruction>().ExecuteAsync(recorded.Value)));
        Assert.True((await app.AsUserAsync("coordinator", s => s.GetRequiredService<CancelDestruction>().ExecuteAsync(recorded.Value))).Succeeded);

        var witnessed = await app.AsUserAsync("coordinator", s => s.GetRequiredService<WitnessDestruction>().ExecuteAsync(recorded.Value, app.Account("coordinator").Password));
        Assert.Contains("cancelled", SupplyScenario.Describe(witnessed), StringComparison.Ordinal);
        Assert.Equal(KitState.Damaged, (await SupplyScenario.KitsAsync(app, [code])).Single().State);

        // The kit can be put forward again, and destroyed with a witness.
        var again = await app.AsUserAsync("investigator", s => s.GetRequiredService<RecordDestruction>().ExecuteAsync(trial.TrialId, lon, [code], "Denaturing kit", null, app.Account("investigator").Password));
        Assert.True(again.Succeeded, SupplyScenario.Describe(again.Outcome));
        Assert.True((await app.AsUserAsync("coordinator", s => s.GetRequiredService<WitnessDestruction>().ExecuteAsync(again.Value, app.Account("coordinator").Password))).Succeeded);
        Assert.Equal(KitState.Destroyed, (await SupplyScenario.KitsAsync(app, [code])).Single().State);
        SupplyScenario.AssertReconciled(await SupplyScenario.ReconcileAsync(app, trial, lon));
    }

    /// <summary>
    /// FAILS (blinding bug in KitStock.TakeAsync, Features/Randomization/KitStock.cs): the kit taken is the earliest-expiring
    /// one <i>of the participant's arm</i>. When a resupply from a new lot arrives, the older lot's leftovers are unequal
    /// between arms (the check fired because one arm was low), so the low arm moves to the new lot while the other arm is
    /// still dispensed from the old one: for that while, the lot number and expiry date printed on a dispensed kit (which
    /// site staff see, and the accountability log lists) tell which arm it is. The 200-participant simulation hits the same
    /// changeover when the depot's first lot runs out.
    /// </summary>
    [Fact]
    public async Task The_lot_of_a_dispensed_kit_does_not_depend_on_the_arm()
    {
        var trial = await NewTrialAsync();
        var lon = await app.SiteIdAsync("LON");
        var depot = await SupplyScenario.DepotOfAsync(app, trial.TrialId, lon);
        var (low, high) = (trial.Protocol.Arms[0].Code, trial.Protocol.Arms[1].Code);
        var oldLot = await app.WithDbAsync(db => db.KitLots.Where(l => l.TrialId == trial.TrialId).Select(l => l.Id).SingleAsync());
        var expires = DateOnly.FromDateTime(app.Clock.GetUtcNow().UtcDateTime).AddDays(500).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var registered = await app.AsUserAsync("depot", s => s.GetRequiredService<RegisterLot>().ExecuteAsync(trial.TrialId, depot, "LOT-NEW", expires, "60"));
        Assert.True(registered.Succeeded, SupplyScenario.Describe(registered.Outcome));
        var newLot = registered.Value!.Id;

        // One arm runs low at London (five of its six kits set aside), the other keeps its six.
        var shelf = await app.WithDbAsync(db => db.Kits.AsNoTracking().Where(k => k.TrialId == trial.TrialId && k.SiteId == lon && k.State == KitState.AtSite).ToListAsync());
        var shelfArms = await SupplyScenario.ArmsAsync(app, trial.TrialId, shelf);
        foreach (var kit in shelf.Where(k => shelfArms[k.Id] == low).Take(5))
        {
            Assert.True((await SupplyScenario.KitEventAsync(app, "coordinator", trial.TrialId, lon, kit.Code, SiteKitAction.Quarantine, "Set aside")).Succeeded);
        }

        // Resupplies are proposed until the depot's first lot is used up (those shipments go missing on the way), and the
        // next one, all from the new lot, arrives.
        for (var round = 0; ; round++)
        {
            Assert.True(round < 6, "The depot's first lot was never used up.");
            await SupplyScenario.CheckAsync(app);
            var proposed = Assert.Single(await SupplyScenario.ShipmentsAsync(app, trial.TrialId, lon, ShipmentStatus.Requested));
            var codes = await SupplyScenario.PackingListAsync(app, proposed.Id);
            Assert.True((await SupplyScenario.ShipAsync(app, proposed.Id)).Succeeded);
            if ((await SupplyScenario.KitsAsync(app, codes)).All(k => k.LotId == newLot))
            {
                Assert.True((await SupplyScenario.ReceiveAsync(app, "coordinator", proposed.Id, SupplyScenario.GoodReceipt(codes))).Succeeded);
                break;
            }

            var missing = new ShipmentReceipt(true, false, null, null, "Lost by the carrier", codes.ToDictionary(c => c, _ => (KitArrival.Missing, (string?)null), StringComparer.Ordinal));
            Assert.True((await SupplyScenario.ReceiveAsync(app, "coordinator", proposed.Id, missing)).Succeeded);
        }

        // Both arms now have kits of both lots on the shelf: one of the old lot for the low arm, six for the other.
        var listId = await app.WithDbAsync(db => db.RandomizationLists.Where(l => l.TrialId == trial.TrialId).Select(l => l.Id).SingleAsync());
        var sealer = app.Services.GetRequiredService<Sealer>();
        var handed = new List<(string Arm, Guid Lot)>();

        // Randomize the participant whose next slot is of the wanted arm, when either London stratum offers it.
        async Task<(string Arm, Guid Lot)> NextAsync(string wanted)
        {
            var cursors = await app.WithDbAsync(db => db.StratumCursors.AsNoTracking().Where(c => c.ListId == listId && c.StratumKey.StartsWith("LON|")).OrderBy(c => c.StratumKey).ToListAsync());
            (string Key, string Arm)? chosen = null;
            foreach (var cursor in cursors)
            {
                var slot = await app.WithDbAsync(db => db.RandomizationSlots.AsNoTracking().SingleAsync(s => s.ListId == listId && s.StratumKey == cursor.StratumKey && s.Number == cursor.NextNumber));
                var arm = await sealer.OpenArmAsync(trial.TrialId, GenerateRandomizationList.SlotArm, slot.Id, slot.SealedArm);
                if (chosen is null || (arm == wanted && chosen.Value.Arm != wanted))
                {
                    chosen = (cursor.StratumKey, arm);
                }
            }

            var level = chosen!.Value.Key["LON|".Length..];
            var id = (await trial.AddEligibleParticipantsAsync(app, "LON", 1, _ => level)).Single();
            var randomized = await SupplyScenario.RandomizeAsync(app, "coordinator", id);
            Assert.True(randomized.Succeeded, SupplyScenario.Describe(randomized.Outcome));
            var kit = (await SupplyScenario.KitsAsync(app, [randomized.Value!.KitCode])).Single();
            Assert.Equal(chosen.Value.Arm, (await SupplyScenario.ArmsAsync(app, trial.TrialId, [kit]))[kit.Id]);
            handed.Add((chosen.Value.Arm, kit.LotId!.Value));
            return handed[^1];
        }

        while (!handed.Any(h => h.Arm == low && h.Lot == newLot))
        {
            Assert.True(handed.Count < 20, "The low arm never reached the new lot.");
            await NextAsync(low);
        }

        (string Arm, Guid Lot) other;
        do
        {
            Assert.True(handed.Count < 30, "The other arm was never dispensed.");
            other = await NextAsync(high);
        }
        while (other.Arm != high);

        Assert.True(
            other.Lot == newLot,
            $"Blind leak: one arm is already dispensed from the new lot while the other arm still gets the old one ({(other.Lot == oldLot ? "old" : "other")} lot), " +
            $"so a kit's lot and expiry tell its arm. Lots handed out, in order: {string.Join(", ", handed.Select(h => $"{(h.Arm == low ? "arm 1" : "arm 2")}:{(h.Lot == newLot ? "new" : "old")}"))}.");
    }

    [Fact]
    public async Task Kits_on_the_shelf_are_quarantined_released_damaged_lost_or_expired_by_the_ledger_s_rules()
    {
        var trial = await NewTrialAsync();
        var lon = await app.SiteIdAsync("LON");
        var participant = (await trial.AddEligibleParticipantsAsync(app, "LON", 1)).Single();
        var dispensed = (await SupplyScenario.RandomizeAsync(app, "coordinator", participant)).Value!.KitCode;
        var shelf = await app.WithDbAsync(db => db.Kits.Where(k => k.TrialId == trial.TrialId && k.SiteId == lon && k.State == KitState.AtSite).OrderBy(k => k.Code).Select(k => k.Code).Take(3).ToListAsync());
        Task<OperationResult> ActAsync(string code, SiteKitAction action, string reason = "Shelf check") =>
            SupplyScenario.KitEventAsync(app, "coordinator", trial.TrialId, lon, code, action, reason);
        async Task<Kit> KitAsync(string code) => (await SupplyScenario.KitsAsync(app, [code])).Single();

        Assert.Contains("Reason", (await ActAsync(shelf[0], SiteKitAction.Quarantine, " ")).Errors.Keys);
        Assert.Contains("There is no kit with that code at this site.", SupplyScenario.Describe(await ActAsync("ZZZ-ZZZ", SiteKitAction.Quarantine)), StringComparison.Ordinal);
        Assert.Contains("it is not expired", SupplyScenario.Describe(await ActAsync(shelf[0], SiteKitAction.Expired)), StringComparison.Ordinal);
        Assert.Contains("count the units", SupplyScenario.Describe(await ActAsync(dispensed, SiteKitAction.Damaged)), StringComparison.Ordinal);
        Assert.Contains("cannot be released from quarantine", SupplyScenario.Describe(await ActAsync(shelf[0], SiteKitAction.Release)), StringComparison.Ordinal);

        Assert.True((await ActAsync(shelf[0], SiteKitAction.Quarantine, "Label smudged")).Succeeded);
        Assert.Equal(KitState.Quarantined, (await KitAsync(shelf[0])).State);
        Assert.True((await ActAsync(shelf[0], SiteKitAction.Release, "Label legible after all")).Succeeded);
        Assert.Equal(KitState.AtSite, (await KitAsync(shelf[0])).State);
        Assert.True((await ActAsync(shelf[1], SiteKitAction.Damaged, "Blister torn")).Succeeded);
        Assert.Equal((KitState.Damaged, 10), ((await KitAsync(shelf[1])).State, (await KitAsync(shelf[1])).Units));
        Assert.True((await ActAsync(shelf[2], SiteKitAction.Lost, "Not found at the monthly count")).Succeeded);
        Assert.Equal((KitState.Lost, 0), ((await KitAsync(shelf[2])).State, (await KitAsync(shelf[2])).Units));
        Assert.Contains("cannot be quarantined: it is Lost", SupplyScenario.Describe(await ActAsync(shelf[2], SiteKitAction.Quarantine)), StringComparison.Ordinal);

        var log = await SupplyScenario.LedgerAsync(app, trial.TrialId, lon);
        Assert.Equal([KitEventKind.Received, KitEventKind.Quarantined, KitEventKind.Released], log.Where(e => e.KitCode == shelf[0]).Select(e => e.Kind));
        Assert.Equal("Label smudged", log.Single(e => e.KitCode == shelf[0] && e.Kind == KitEventKind.Quarantined).Reason);
        var report = await SupplyScenario.ReconcileAsync(app, trial, lon);
        SupplyScenario.AssertReconciled(report);
        Assert.Equal((10, 10), (report.Balance.Lost, report.Balance.WithParticipants));
    }

    [Fact]
    public async Task A_kit_damaged_or_lost_by_a_participant_is_replaced_and_its_counted_units_reconcile()
    {
        var trial = await NewTrialAsync();
        var lon = await app.SiteIdAsync("LON");
        var participant = (await trial.AddEligibleParticipantsAsync(app, "LON", 1)).Single();
        var first = (await SupplyScenario.RandomizeAsync(app, "coordinator", participant)).Value!.KitCode;
        Task<OperationResult<DispenseKit.Dispensed>> ReplaceAsync(string code, KitState reason, string? unitsLeft) =>
            app.AsUserAsync("coordinator", s => s.GetRequiredService<DispenseKit>().ReplaceAsync(participant, code, reason, unitsLeft));

        Assert.Contains(DispenseKit.UnitsLeftField, (await ReplaceAsync(first, KitState.Damaged, null)).Outcome.Errors.Keys);
        Assert.Contains(DispenseKit.UnitsLeftField, (await ReplaceAsync(first, KitState.Damaged, "-1")).Outcome.Errors.Keys);
        Assert.Contains("count at most that many", SupplyScenario.Describe((await ReplaceAsync(first, KitState.Damaged, "11")).Outcome), StringComparison.Ordinal);
        Assert.Equal(KitState.Dispensed, (await SupplyScenario.KitsAsync(app, [first])).Single().State);

        var replaced = await ReplaceAsync(first, KitState.Damaged, "6");
        Assert.True(replaced.Succeeded, SupplyScenario.Describe(replaced.Outcome));
        var second = replaced.Value!.KitCode;
        Assert.Equal(second, (await ReplaceAsync(first, KitState.Damaged, "6")).Value!.KitCode);
        var lost = await ReplaceAsync(second, KitState.Lost, null);
        Assert.True(lost.Succeeded, SupplyScenario.Describe(lost.Outcome));

        var kits = (await SupplyScenario.KitsAsync(app, [first, second, lost.Value!.KitCode])).ToDictionary(k => k.Code, StringComparer.Ordinal);
        Assert.Equal((KitState.Damaged, 6), (kits[first].State, kits[first].Units));
        Assert.Equal((KitState.Lost, 0), (kits[second].State, kits[second].Units));
        Assert.Equal((KitState.Dispensed, participant), (kits[lost.Value.KitCode].State, kits[lost.Value.KitCode].ParticipantId!.Value));
        var damagedLine = (await SupplyScenario.LedgerAsync(app, trial.TrialId, lon)).Single(e => e.KitCode == first && e.Kind == KitEventKind.Damaged);
        Assert.Equal((6, participant), (damagedLine.Units!.Value, damagedLine.ParticipantId!.Value));

        var report = await SupplyScenario.ReconcileAsync(app, trial, lon);
        SupplyScenario.AssertReconciled(report);
        Assert.Equal((4, 10, 10), (report.Balance.Consumed, report.Balance.Lost, report.Balance.WithParticipants));
    }

    [Fact]
    public async Task Site_staff_act_only_at_their_own_sites_the_depot_only_on_shipments_and_nobody_else_ships()
    {
        var trial = await NewTrialAsync();
        var lon = await app.SiteIdAsync("LON");
        var bos = await app.SiteIdAsync("BOS");
        var (shipment, codes) = await SupplyScenario.ShippedAsync(app, trial, "LON", "coordinator");
        var shelfKit = await app.WithDbAsync(db => db.Kits.Where(k => k.TrialId == trial.TrialId && k.SiteId == lon && k.State == KitState.AtSite).Select(k => k.Code).FirstAsync());
        var logBefore = (await SupplyScenario.LedgerAsync(app, trial.TrialId, lon)).Count;
        var receipt = SupplyScenario.GoodReceipt(codes);

        // Boston's coordinator: not London's shipments, kits or destructions.
        await Assert.ThrowsAsync<OperationForbiddenException>(() => SupplyScenario.ReceiveAsync(app, "coordinator.bos", shipment.Id, receipt));
        await Assert.ThrowsAsync<OperationForbiddenException>(() => SupplyScenario.KitEventAsync(app, "coordinator.bos", trial.TrialId, lon, shelfKit, SiteKitAction.Quarantine));
        await Assert.ThrowsAsync<OperationForbiddenException>(() => app.AsUserAsync("coordinator.bos", s => s.GetRequiredService<RecordDestruction>().ExecuteAsync(trial.TrialId, lon, [shelfKit], "Incineration", null, app.Account("coordinator.bos").Password)));
        await Assert.ThrowsAsync<OperationForbiddenException>(() => SupplyScenario.ReceiveAsync(app, "investigator.bos", shipment.Id, receipt));

        // Through their own site, a London kit is simply not there.
        var viaBoston = await SupplyScenario.KitEventAsync(app, "coordinator.bos", trial.TrialId, bos, shelfKit, SiteKitAction.Quarantine);
        Assert.Contains("There is no kit with that code at this site.", SupplyScenario.Describe(viaBoston), StringComparison.Ordinal);

        // The depot ships and decides, but does not receive or touch site stock; the data manager does neither.
        await Assert.ThrowsAsync<OperationForbiddenException>(() => SupplyScenario.ReceiveAsync(app, "depot", shipment.Id, receipt));
        await Assert.ThrowsAsync<OperationForbiddenException>(() => SupplyScenario.KitEventAsync(app, "depot", trial.TrialId, lon, shelfKit, SiteKitAction.Quarantine));
        await Assert.ThrowsAsync<OperationForbiddenException>(() => SupplyScenario.ReceiveAsync(app, "datamanager", shipment.Id, receipt));

        // Site staff, the data manager and the administrator cannot ship, cancel, decide, register lots or run the check.
        var next = await SupplyScenario.ProposeAsync(app, trial, "BOS", "coordinator.bos");
        foreach (var user in new[] { "coordinator", "coordinator.bos", "investigator", "datamanager", "admin" })
        {
            await Assert.ThrowsAsync<OperationForbiddenException>(() => SupplyScenario.ShipAsync(app, next.Id, user));
            await Assert.ThrowsAsync<OperationForbiddenException>(() => app.AsUserAsync(user, s => s.GetRequiredService<CancelShipment>().ExecuteAsync(next.Id, "No")));
            await Assert.ThrowsAsync<OperationForbiddenException>(() => SupplyScenario.DecideAsync(app, shipment.Id, true, "Fine", user));
            await Assert.ThrowsAsync<OperationForbiddenException>(() => app.AsUserAsync(user, s => s.GetRequiredService<ResupplyCheck>().RunAsync()));
        }

        // Nothing moved.
        Assert.Equal(ShipmentStatus.Requested, (await SupplyScenario.ShipmentAsync(app, next.Id)).Status);
        Assert.Equal(ShipmentStatus.Shipped, (await SupplyScenario.ShipmentAsync(app, shipment.Id)).Status);
        Assert.All(await SupplyScenario.KitsAsync(app, codes), k => Assert.Equal(KitState.InTransit, k.State));
        Assert.Equal(KitState.AtSite, (await SupplyScenario.KitsAsync(app, [shelfKit])).Single().State);
        Assert.Equal(logBefore, (await SupplyScenario.LedgerAsync(app, trial.TrialId, lon)).Count);

        // London's own staff can.
        Assert.True((await SupplyScenario.ReceiveAsync(app, "investigator", shipment.Id, receipt)).Succeeded);
        Assert.True((await SupplyScenario.KitEventAsync(app, "coordinator", trial.TrialId, lon, shelfKit, SiteKitAction.Quarantine)).Succeeded);
        SupplyScenario.AssertReconciled(await SupplyScenario.ReconcileAsync(app, trial, lon));
    }

    [Fact]
    public async Task The_accountability_log_refuses_update_and_delete()
    {
        var trial = await NewTrialAsync();
        var lon = await app.SiteIdAsync("LON");
        var before = await SupplyScenario.LedgerAsync(app, trial.TrialId, lon);
        Assert.NotEmpty(before);

        await app.WithDbAsync(async db =>
        {
            var update = await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteSqlAsync($"""UPDATE "KitLedger" SET "Units" = 9 WHERE "TrialId" = {trial.TrialId}"""));
            Assert.Contains("append-only", update.MessageText, StringComparison.Ordinal);
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, update.SqlState);
            var delete = await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteSqlAsync($"""DELETE FROM "KitLedger" WHERE "TrialId" = {trial.TrialId}"""));
            Assert.Contains("append-only", delete.MessageText, StringComparison.Ordinal);

            // The same through the model.
            var entry = await db.KitLedger.FirstAsync(e => e.TrialId == trial.TrialId && e.SiteId == lon);
            entry.Reason = "Edited afterwards";
            var saved = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
            Assert.Contains("append-only", saved.InnerException?.Message ?? "", StringComparison.Ordinal);
            db.ChangeTracker.Clear();
            db.KitLedger.Remove(await db.KitLedger.FirstAsync(e => e.TrialId == trial.TrialId && e.SiteId == lon));
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
            return 0;
        });

        var after = await SupplyScenario.LedgerAsync(app, trial.TrialId, lon);
        Assert.Equal(before.Select(e => (e.Sequence, e.Units, e.Reason)), after.Select(e => (e.Sequence, e.Units, e.Reason)));
    }

    [Fact]
    public async Task No_audit_entry_notification_or_log_line_written_by_the_supply_operations_names_an_arm()
    {
        var trial = await NewTrialAsync();
        var lon = await app.SiteIdAsync("LON");
        var bos = await app.SiteIdAsync("BOS");
        var auditFrom = await app.WithDbAsync(db => db.AuditTrail.MaxAsync(e => (long?)e.Id)) ?? 0;
        var notificationsBefore = (await app.WithDbAsync(db => db.Notifications.Select(n => n.Id).ToListAsync())).ToHashSet();
        var emailsBefore = (await app.WithDbAsync(db => db.OutboxEmails.Select(n => n.Id).ToListAsync())).ToHashSet();

        // A lot, a shipment received with an excursion and released, one received with a missing and a damaged kit
        // and rejected, a return, a dispensing visit, a quarantine and a witnessed destruction.
        var depot = await SupplyScenario.DepotOfAsync(app, trial.TrialId, lon);
        var lot = await app.AsUserAsync("depot", s => s.GetRequiredService<RegisterLot>().ExecuteAsync(trial.TrialId, depot, "LEAK-L1", DateOnly.FromDateTime(app.Clock.GetUtcNow().UtcDateTime).AddDays(300).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), "3"));
        Assert.True(lot.Succeeded, SupplyScenario.Describe(lot.Outcome));
        var (london, londonKits) = await SupplyScenario.ShippedAsync(app, trial, "LON", "coordinator");
        Assert.True((await SupplyScenario.ReceiveAsync(app, "coordinator", london.Id, SupplyScenario.GoodReceipt(londonKits) with { TemperatureExcursion = true, Note = "Logger alarm" })).Succeeded);
        Assert.True((await SupplyScenario.DecideAsync(app, london.Id, true, "Within stability data")).Succeeded);
        var (boston, bostonKits) = await SupplyScenario.ShippedAsync(app, trial, "BOS", "coordinator.bos");
        var kits = bostonKits.ToDictionary(c => c, _ => (KitArrival.Received, (string?)"10"), StringComparer.Ordinal);
        kits[bostonKits[0]] = (KitArrival.Missing, null);
        kits[bostonKits[1]] = (KitArrival.Damaged, "10");
        Assert.True((await SupplyScenario.ReceiveAsync(app, "coordinator.bos", boston.Id, new ShipmentReceipt(false, false, null, null, "Box wet", kits))).Succeeded);
        Assert.True((await SupplyScenario.DecideAsync(app, boston.Id, false, "Water damage")).Succeeded);

        var participant = await app.WithDbAsync(db => db.Participants.Where(p => p.TrialId == trial.TrialId && p.SiteId == lon && p.Status == ParticipantStatus.Randomized).Select(p => p.Id).FirstAsync());
        var firstKit = await app.WithDbAsync(db => db.Kits.Where(k => k.ParticipantId == participant).Select(k => k.Code).SingleAsync());
        Assert.True((await app.AsUserAsync("coordinator", s => s.GetRequiredService<ReturnKit>().ExecuteAsync(participant, firstKit, "3"))).Succeeded);
        var visit = trial.Protocol.Visits.First(v => v.DispensesKit && v != trial.Protocol.RandomizationVisit).Code;
        var second = await app.AsUserAsync("coordinator", s => s.GetRequiredService<DispenseKit>().AtVisitAsync(participant, visit));
        Assert.True(second.Succeeded, SupplyScenario.Describe(second.Outcome));
        var onShelf = (await SupplyScenario.KitsAsync(app, londonKits)).First(k => k.State == KitState.AtSite).Code;
        Assert.True((await SupplyScenario.KitEventAsync(app, "coordinator", trial.TrialId, lon, onShelf, SiteKitAction.Quarantine, "Seal broken")).Succeeded);
        var destruction = await app.AsUserAsync("coordinator", s => s.GetRequiredService<RecordDestruction>().ExecuteAsync(trial.TrialId, lon, [onShelf, firstKit], "Incineration", "Routine", app.Account("coordinator").Password));
        Assert.True(destruction.Succeeded, SupplyScenario.Describe(destruction.Outcome));
        Assert.True((await app.AsUserAsync("investigator", s => s.GetRequiredService<WitnessDestruction>().ExecuteAsync(destruction.Value, app.Account("investigator").Password))).Succeeded);
        await SupplyScenario.CheckAsSystemAsync(app);

        var audit = await app.WithDbAsync(db => db.AuditTrail.AsNoTracking().Where(e => e.Id > auditFrom).ToListAsync());
        Assert.Contains(audit, e => e.Action == "WitnessDestruction");
        Assert.Contains(audit, e => e.Action == "ProposeShipment");
        var notifications = (await app.WithDbAsync(db => db.Notifications.AsNoTracking().ToListAsync())).Where(n => !notificationsBefore.Contains(n.Id)).ToList();
        Assert.NotEmpty(notifications);
        var emails = (await app.WithDbAsync(db => db.OutboxEmails.AsNoTracking().ToListAsync())).Where(e => !emailsBefore.Contains(e.Id)).ToList();
        var lines = (await SupplyScenario.LedgerAsync(app, trial.TrialId, lon)).Concat(await SupplyScenario.LedgerAsync(app, trial.TrialId, bos)).ToList();
        var shipments = await app.WithDbAsync(db => db.Shipments.AsNoTracking().Where(s => s.TrialId == trial.TrialId).ToListAsync());

        var texts = audit.Select(e => ($"audit {e.Id} {e.Action}", string.Join('\n', e.Action, e.EntityType, e.EntityId, e.Changes, e.Reason)))
            .Concat(notifications.Select(n => ($"notification {n.Subject}", string.Join('\n', n.Subject, n.Body, n.Link))))
            .Concat(emails.Select(e => ($"e-mail {e.Subject}", string.Join('\n', e.Subject, e.Body))))
            .Concat(lines.Select(e => ($"log line {e.Sequence}", string.Join('\n', e.KitCode, e.Reason, e.ParticipantNumber, e.ByName))))
            .Concat(shipments.Select(s => ($"shipment {s.Number}", string.Join('\n', s.ReceiptNote, s.DecisionNote, s.RequestedByName, s.Carrier))))
            .ToList();
        foreach (var (where, text) in texts)
        {
            foreach (var secret in RandomizationTrial.ArmSecrets)
            {
                Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{where} names an arm ({secret}): {text}");
            }
        }
    }
}

/// <summary>
/// Expiry over a year of the trial: its own app, because the clock moves almost a year. A kit is dispensed while
/// today + the protocol's margin is before its expiry, earliest expiry first; after that it is never dispensed.
/// </summary>
public class KitExpiryTests(TrialApp app) : IClassFixture<TrialApp>
{
    [Fact]
    public async Task Kits_within_the_expiry_margin_are_never_dispensed_a_later_lot_takes_over_and_without_one_randomization_stops()
    {
        var trial = await RandomizationTrial.CreateAsync(app, "EXP-01", kitsPerSite: 12);
        var margin = trial.Protocol.Kits.ExpiryMarginDays;
        var lon = await app.SiteIdAsync("LON");
        var bos = await app.SiteIdAsync("BOS");
        var firstLot = await app.WithDbAsync(db => db.KitLots.AsNoTracking().SingleAsync(l => l.TrialId == trial.TrialId));
        var expiry = firstLot.ExpiresOn;
        Assert.Equal(DateOnly.FromDateTime(app.Clock.GetUtcNow().UtcDateTime).AddDays(trial.Protocol.Kits.ShelfLifeDays), expiry);

        // A second lot, expiring 60 days later, waits at London's depot.
        var depot = await SupplyScenario.DepotOfAsync(app, trial.TrialId, lon);
        var later = expiry.AddDays(60);
        var registered = await app.AsUserAsync("depot", s => s.GetRequiredService<RegisterLot>().ExecuteAsync(trial.TrialId, depot, "EXP-01-L002", later.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), "20"));
        Assert.True(registered.Succeeded, SupplyScenario.Describe(registered.Outcome));

        // The last day the first lot may be dispensed in London: the margin starts tomorrow.
        MoveTo("LON", expiry.AddDays(-margin - 1));
        Assert.True(trial.Protocol.Kits.IsDispensable(expiry, SupplyScenario.LocalToday(app, trial, "LON")));

        // The check looks ahead over the lead time: the first lot will not be dispensable when a shipment could
        // arrive, so London gets one from the second lot only; Boston's depot has nothing that lasts.
        var outcome = await SupplyScenario.CheckAsync(app);
        var toLondon = Assert.Single(await SupplyScenario.ShipmentsAsync(app, trial.TrialId, lon, ShipmentStatus.Requested));
        var packed = await SupplyScenario.KitsAsync(app, await SupplyScenario.PackingListAsync(app, toLondon.Id));
        Assert.All(packed, k => Assert.Equal((registered.Value!.Id, later), (k.LotId!.Value, k.ExpiresOn)));
        Assert.Contains(outcome.Shortfalls, s => s.Contains("site BOS", StringComparison.Ordinal));
        Assert.Empty(await SupplyScenario.ShipmentsAsync(app, trial.TrialId, bos, ShipmentStatus.Requested));
        Assert.True(await app.WithDbAsync(db => db.Notifications.AnyAsync(n => n.Subject == $"Resupply cannot be filled: {trial.Code}")));

        // Every instance runs the daily check (and a depot manager may run it by hand): the same shortfall is listed
        // each time but recorded and sent once per interval.
        var notices = await app.WithDbAsync(db => db.Notifications.CountAsync(n => n.Subject == $"Resupply cannot be filled: {trial.Code}"));
        var again = await SupplyScenario.CheckAsync(app);
        Assert.Contains(again.Shortfalls, s => s.Contains("site BOS", StringComparison.Ordinal));
        var bosId = bos.ToString();
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditTrail.CountAsync(a => a.Action == "ResupplyShortfall" && a.TrialId == trial.TrialId && a.EntityId == bosId)));
        Assert.Equal(notices, await app.WithDbAsync(db => db.Notifications.CountAsync(n => n.Subject == $"Resupply cannot be filled: {trial.Code}")));

        Assert.True((await SupplyScenario.ShipAsync(app, toLondon.Id)).Succeeded);
        Assert.True((await SupplyScenario.ReceiveAsync(app, "coordinator", toLondon.Id, SupplyScenario.GoodReceipt(packed.Select(k => k.Code)))).Succeeded);

        // Earliest expiry first while it is still dispensable.
        var london = await trial.AddEligibleParticipantsAsync(app, "LON", 3);
        var first = await SupplyScenario.RandomizeAsync(app, "coordinator", london[0]);
        Assert.True(first.Succeeded, SupplyScenario.Describe(first.Outcome));
        Assert.Equal(expiry, (await SupplyScenario.KitsAsync(app, [first.Value!.KitCode])).Single().ExpiresOn);

        // The next day the first lot is within the margin: the second lot's kits are dispensed.
        MoveTo("LON", expiry.AddDays(-margin));
        Assert.False(trial.Protocol.Kits.IsDispensable(expiry, SupplyScenario.LocalToday(app, trial, "LON")));
        foreach (var id in london.Skip(1))
        {
            var next = await SupplyScenario.RandomizeAsync(app, "coordinator", id);
            Assert.True(next.Succeeded, SupplyScenario.Describe(next.Outcome));
            Assert.Equal(later, (await SupplyScenario.KitsAsync(app, [next.Value!.KitCode])).Single().ExpiresOn);
        }

        var visit = trial.Protocol.Visits.First(v => v.DispensesKit && v != trial.Protocol.RandomizationVisit).Code;
        var atVisit = await app.AsUserAsync("coordinator", s => s.GetRequiredService<DispenseKit>().AtVisitAsync(london[0], visit));
        Assert.True(atVisit.Succeeded, SupplyScenario.Describe(atVisit.Outcome));
        Assert.Equal(later, (await SupplyScenario.KitsAsync(app, [atVisit.Value!.KitCode])).Single().ExpiresOn);

        // Boston has only first-lot kits: once they are within the margin there, randomization stops, saying only
        // that no allocation is available, and records nothing.
        MoveTo("BOS", expiry.AddDays(-margin));
        var boston = (await trial.AddEligibleParticipantsAsync(app, "BOS", 1)).Single();
        var refused = await SupplyScenario.RandomizeAsync(app, "coordinator.bos", boston);
        Assert.False(refused.Succeeded);
        Assert.Equal([KitStock.UnavailableMessage], refused.Outcome.Errors[""]);
        Assert.Equal(ParticipantStatus.Eligible, await app.WithDbAsync(db => db.Participants.Where(p => p.Id == boston).Select(p => p.Status).SingleAsync()));
        Assert.False(await app.WithDbAsync(db => db.Dispensings.AnyAsync(d => d.ParticipantId == boston)));
        Assert.True(await app.WithDbAsync(db => db.Kits.AnyAsync(k => k.TrialId == trial.TrialId && k.SiteId == bos && k.State == KitState.AtSite)), "Boston still has (expiring) kits on its shelf");

        // The check then quarantines the shelf kits that entered the margin; they cannot be released, only expired.
        var quarantined = await SupplyScenario.CheckAsSystemAsync(app);
        Assert.True(quarantined.KitsQuarantined > 0);
        var held = await app.WithDbAsync(db => db.Kits.AsNoTracking().Where(k => k.TrialId == trial.TrialId && k.SiteId == lon && k.State == KitState.Quarantined).ToListAsync());
        Assert.NotEmpty(held);
        Assert.All(held, k => Assert.Equal(expiry, k.ExpiresOn));
        Assert.DoesNotContain(await app.WithDbAsync(db => db.Kits.Where(k => k.TrialId == trial.TrialId && k.State == KitState.AtSite).Select(k => k.ExpiresOn).ToListAsync()), e => e == expiry);
        var lines = await SupplyScenario.LedgerAsync(app, trial.TrialId, lon);
        Assert.All(held, k => Assert.Contains("Within the expiry margin", lines.Last(e => e.KitId == k.Id).Reason, StringComparison.Ordinal));
        var release = await SupplyScenario.KitEventAsync(app, "coordinator", trial.TrialId, lon, held[0].Code, SiteKitAction.Release);
        Assert.Contains("within the 14-day margin", SupplyScenario.Describe(release), StringComparison.Ordinal);
        var expired = await SupplyScenario.KitEventAsync(app, "coordinator", trial.TrialId, lon, held[0].Code, SiteKitAction.Expired, "Expiry margin reached");
        Assert.True(expired.Succeeded, SupplyScenario.Describe(expired));
        var fresh = await app.WithDbAsync(db => db.Kits.Where(k => k.TrialId == trial.TrialId && k.SiteId == lon && k.State == KitState.AtSite).Select(k => k.Code).FirstAsync());
        Assert.Contains("it is not expired", SupplyScenario.Describe(await SupplyScenario.KitEventAsync(app, "coordinator", trial.TrialId, lon, fresh, SiteKitAction.Expired, "Wrong kit")), StringComparison.Ordinal);

        // No kit was ever handed out on or after the first day of its margin, in the site's calendar.
        var handed = await app.WithDbAsync(db => db.Dispensings.AsNoTracking().Where(d => d.TrialId == trial.TrialId)
            .Join(db.Kits, d => d.KitId, k => k.Id, (d, k) => new { d.At, d.SiteId, k.ExpiresOn }).ToListAsync());
        Assert.Equal(4, handed.Count);
        foreach (var dispensing in handed)
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(trial.Protocol.FindSite(dispensing.SiteId == lon ? "LON" : "BOS")!.TimeZone);
            Assert.True(trial.Protocol.Kits.IsDispensable(dispensing.ExpiresOn, SiteCalendar.LocalDate(dispensing.At, zone)), $"A kit expiring {dispensing.ExpiresOn} was dispensed at {dispensing.At}.");
        }

        SupplyScenario.AssertReconciled(await SupplyScenario.ReconcileAsync(app, trial, lon));
        SupplyScenario.AssertReconciled(await SupplyScenario.ReconcileAsync(app, trial, bos));

        void MoveTo(string siteCode, DateOnly localDay)
        {
            var days = localDay.DayNumber - SupplyScenario.LocalToday(app, trial, siteCode).DayNumber;
            Assert.True(days >= 0, $"{siteCode} is already past {localDay}.");
            app.Clock.Advance(TimeSpan.FromDays(days));
            Assert.Equal(localDay, SupplyScenario.LocalToday(app, trial, siteCode));
        }
    }
}
