using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using TrialManager.Domain.Protocols;
using TrialManager.Domain.Randomization;
using TrialManager.Domain.Supply;
using TrialManager.Domain.Tests.Protocols;

namespace TrialManager.Domain.Tests.Supply;

/// <summary>
/// A whole trial's supply chain, day by day: 200 participants at three sites enrolled over ten weeks and followed
/// twelve, kits dispensed at the protocol's dispensing visits and returned at the next one, an evening resupply
/// check per site, shipments arriving after the lead time, and expiry, quarantine, damage, loss and witnessed
/// destruction along the way.
/// </summary>
public class SupplySimulationTests
{
    private const int Participants = 200;
    private const int EnrolmentDays = 112;
    private const int FollowUpDays = 84;
    private const int LeadTimeDays = 2;
    private static readonly DateOnly Start = new(2026, 1, 5);
    private static readonly DateTimeOffset StartTime = new(2026, 1, 5, 10, 0, 0, TimeSpan.Zero);
    private static readonly string[] SiteCodes = ["S1", "S2", "S3"];

    private sealed record Shipment(string Site, int ArriveDay, IReadOnlyList<StockKit> Kits, IReadOnlyDictionary<string, int> ByArm, IReadOnlyList<string> ArmsBelowMinimum);

    private sealed class Participant(string id, string site, string arm, int day0)
    {
        public int Day0 { get; } = day0;
        public string Id { get; } = id;
        public string Site { get; } = site;
        public string Arm { get; } = arm;
        public StockKit? Kit { get; set; }
        public int KitDay { get; set; }
    }

    [Theory]
    [InlineData("psilocybin-mdd.yaml")]
    [InlineData("lsd-gad.yaml")]
    public void No_stock_out_no_expired_dispensing_every_unit_reconciles_and_every_shipment_is_blind(string file)
    {
        var protocol = ProtocolFiles.Load(file).Protocol!;
        var seed = SHA256.HashData(Encoding.UTF8.GetBytes("test-seed/supply-sim/" + file));
        var random = new SeededStream(seed, "test/supply-sim/events");
        var arms = protocol.Arms.Select(a => new ArmRatio(a.Code, a.Ratio)).ToList();
        var kits = protocol.Kits;
        var dispensing = protocol.Visits.Where(v => v.DispensesKit).OrderBy(v => v.Day).ToList();
        var lastTreatment = protocol.Visits.Where(v => v.Kind == VisitKind.Treatment).MaxBy(v => v.Day)!;

        // A kit is returned at the next dispensing visit, the last one's at the last treatment visit; it must not
        // reach the margin while a participant may still hold it.
        var returnVisit = dispensing.ToDictionary(v => v, v => dispensing.FirstOrDefault(n => n.Day > v.Day) ?? lastTreatment);
        var margin = dispensing.Max(v => returnVisit[v].LatestDay - v.EarliestDay);
        var policy = ResupplyPolicy.FromProtocol(kits, margin, LeadTimeDays);

        var ledgers = SiteCodes.ToDictionary(s => s, _ => new KitLedger(kits.UnitsPerKit));
        var custody = SiteCodes.ToDictionary(s => s, _ => new Dictionary<string, int>(StringComparer.Ordinal));
        var shelf = SiteCodes.ToDictionary(s => s, _ => new List<StockKit>());
        var quarantine = SiteCodes.ToDictionary(s => s, _ => new List<StockKit>());
        var inTransit = SiteCodes.ToDictionary(s => s, _ => arms.ToDictionary(a => a.Code, _ => 0, StringComparer.Ordinal));
        var shipments = new List<Shipment>();
        var stockOuts = new List<string>();
        var badDispenses = new List<string>();
        var kitNumber = 0;
        var consumedBySimulation = 0;
        string NewKitCode() => string.Create(CultureInfo.InvariantCulture, $"K{++kitNumber:D5}");

        // Initial stock from the kit list planner, from an old batch that reaches the margin on day 3, so the
        // planner must look ahead over the lead time and the leftovers go through quarantine and expiry.
        var design = RandomizationDesign.FromProtocol(protocol);
        var initial = KitListPlanner.Plan(design, SiteCodes, kits.InitialStockPerSite, 0, seed);
        foreach (var planned in initial)
        {
            var kit = new StockKit(NewKitCode(), planned.ArmCode, Start.AddDays(3 + margin));
            Receive(planned.SiteCode!, kit);
        }

        // Enrolment: a random day and site; arms from per-site shuffled balanced blocks.
        var blocks = SiteCodes.ToDictionary(s => s, _ => new Queue<string>());
        var schedule = new Dictionary<int, List<(Participant Who, Visit Visit)>>();
        for (var i = 0; i < Participants; i++)
        {
            var site = SiteCodes[random.NextInt(SiteCodes.Length)];
            if (blocks[site].Count == 0)
            {
                var block = arms.SelectMany(a => Enumerable.Repeat(a.Code, 2 * a.Ratio)).ToArray();
                random.Shuffle(block.AsSpan());
                foreach (var arm in block)
                {
                    blocks[site].Enqueue(arm);
                }
            }

            var day0 = random.NextInt(EnrolmentDays);
            var who = new Participant(string.Create(CultureInfo.InvariantCulture, $"P{i + 1:D3}"), site, blocks[site].Dequeue(), day0);
            foreach (var visit in dispensing.Append(lastTreatment).Distinct())
            {
                var day = day0 + visit.EarliestDay + random.NextInt(visit.LatestDay - visit.EarliestDay + 1);
                (schedule.TryGetValue(day, out var list) ? list : schedule[day] = []).Add((who, visit));
            }
        }

        var lastDay = EnrolmentDays + FollowUpDays;
        for (var t = 0; t <= lastDay; t++)
        {
            var today = Start.AddDays(t);
            foreach (var shipment in shipments.Where(s => s.ArriveDay == t))
            {
                foreach (var kit in shipment.Kits)
                {
                    inTransit[shipment.Site][kit.ArmCode]--;
                    Receive(shipment.Site, kit);
                }
            }

            foreach (var site in SiteCodes)
            {
                foreach (var kit in quarantine[site].Where(k => k.Expiry <= today).ToList())
                {
                    Accept(site, new KitExpired(kit.KitCode));
                    quarantine[site].Remove(kit);
                }
            }

            foreach (var (who, visit) in schedule.GetValueOrDefault(t) ?? [])
            {
                if (who.Kit is { } held)
                {
                    ReturnOrLose(who, held, t);
                }

                if (!visit.DispensesKit)
                {
                    continue;
                }

                var kit = shelf[who.Site]
                    .Where(k => k.ArmCode == who.Arm && policy.IsDispensable(k.Expiry, today))
                    .OrderBy(k => k.Expiry).ThenBy(k => k.KitCode, StringComparer.Ordinal)
                    .FirstOrDefault();
                if (kit is null)
                {
                    stockOuts.Add($"{today} {who.Site} {who.Id} {visit.Code}");
                    continue;
                }

                if (kit.Expiry <= today || !policy.IsDispensable(kit.Expiry, today))
                {
                    badDispenses.Add(kit.KitCode);
                }

                Accept(who.Site, new KitDispensed(kit.KitCode, who.Id, "nurse", StartTime.AddDays(t)));
                shelf[who.Site].Remove(kit);
                custody[who.Site].Remove(kit.KitCode);
                who.Kit = kit;
                who.KitDay = t;
            }

            foreach (var site in SiteCodes)
            {
                var decision = ResupplyPlanner.Plan(arms, policy, shelf[site], inTransit[site], today, ResupplyPlanner.StreamFor(seed, site, shipments.Count));
                foreach (var kit in decision.Unavailable)
                {
                    Accept(site, new KitQuarantined(kit.KitCode, "within the expiry margin"));
                    shelf[site].Remove(kit);
                    quarantine[site].Add(kit);
                }

                if (decision.NeedsShipment)
                {
                    var low = arms.Where(a => decision.DispensableByArm[a.Code] + decision.InTransitByArm[a.Code] < policy.MinimumPerArm).Select(a => a.Code).ToList();
                    var packed = decision.PackingOrder
                        .Select(arm => new StockKit(NewKitCode(), arm, today.AddDays(kits.ShelfLifeDays - random.NextInt(kits.ShelfLifeDays / 2))))
                        .ToList();
                    foreach (var kit in packed)
                    {
                        Accept(site, new KitShipped(kit.KitCode));
                        inTransit[site][kit.ArmCode]++;
                    }

                    shipments.Add(new Shipment(site, t + LeadTimeDays, packed, decision.ShipmentByArm, low));
                }
            }

            if (t % 7 == 6 || t == lastDay)
            {
                foreach (var site in SiteCodes)
                {
                    foreach (var kit in ledgers[site].Kits.Where(k => k.State is KitState.Returned or KitState.Expired or KitState.Damaged).ToList())
                    {
                        Accept(site, new KitDestroyed(kit.KitCode, "pharmacist", "monitor"));
                        custody[site].Remove(kit.KitCode);
                    }
                }
            }
        }

        Assert.Empty(stockOuts);
        Assert.Empty(badDispenses);
        Assert.All(ledgers.Values, l => Assert.Contains(l.Kits, k => k.State == KitState.Destroyed));
        Assert.Contains(ledgers.Values.SelectMany(l => l.Events), e => e is KitExpired);
        foreach (var site in SiteCodes)
        {
            var report = ledgers[site].Reconcile(custody[site]);
            Assert.Empty(report.Discrepancies);
            Assert.True(report.Balance.Holds);
            Assert.Equal(0, report.Balance.WithParticipants);
        }

        Assert.Equal(consumedBySimulation, ledgers.Values.Sum(l => l.Balance.Consumed));

        // Blind: every shipment is a whole number of ratio-pattern sets, whichever arm (or arms) ran low.
        Assert.NotEmpty(shipments);
        foreach (var shipment in shipments)
        {
            var sets = shipment.ByArm[arms[0].Code] / arms[0].Ratio;
            Assert.True(sets >= 1);
            Assert.All(arms, a => Assert.Equal(sets * a.Ratio, shipment.ByArm[a.Code]));
            Assert.All(arms, a => Assert.Equal(sets * a.Ratio, shipment.Kits.Count(k => k.ArmCode == a.Code)));
        }

        var mixByTrigger = shipments.Where(s => s.ArmsBelowMinimum.Count == 1).GroupBy(s => s.ArmsBelowMinimum[0])
            .ToDictionary(g => g.Key, g => g.Select(s => Mix(arms, s.ByArm)).Distinct().Single());
        Assert.NotEmpty(mixByTrigger);
        Assert.All(mixByTrigger.Values, mix => Assert.Equal(Mix(arms, arms.ToDictionary(a => a.Code, a => a.Ratio)), mix));

        void Receive(string site, StockKit kit)
        {
            Accept(site, new KitReceived(kit.KitCode, kits.UnitsPerKit));
            custody[site][kit.KitCode] = kits.UnitsPerKit;

            // About one kit in a hundred arrives damaged.
            if (random.NextInt(100) == 0)
            {
                Accept(site, new KitDamaged(kit.KitCode));
            }
            else
            {
                shelf[site].Add(kit);
            }
        }

        void ReturnOrLose(Participant who, StockKit kit, int t)
        {
            who.Kit = null;
            if (random.NextInt(100) == 0)
            {
                Accept(who.Site, new KitLost(kit.KitCode));
                return;
            }

            var scheduled = protocol.Dosing.ScheduledDoses(who.KitDay - who.Day0, t - who.Day0 - 1);
            var taken = Math.Clamp(scheduled - random.NextInt(2), 0, kits.UnitsPerKit);
            consumedBySimulation += taken;
            Accept(who.Site, new KitReturned(kit.KitCode, kits.UnitsPerKit - taken));
            custody[who.Site][kit.KitCode] = kits.UnitsPerKit - taken;
        }

        void Accept(string site, KitEvent e)
        {
            var result = ledgers[site].Apply(e);
            Assert.True(result.IsAccepted, result.Message);
        }
    }

    /// <summary>A shipment's arm mix reduced to lowest terms, e.g. "LSD:2,PBO:1" for 8 and 4.</summary>
    private static string Mix(IReadOnlyList<ArmRatio> arms, IReadOnlyDictionary<string, int> byArm)
    {
        var gcd = arms.Select(a => byArm[a.Code]).Aggregate((x, y) => (int)System.Numerics.BigInteger.GreatestCommonDivisor(x, y));
        return string.Join(',', arms.Select(a => string.Create(CultureInfo.InvariantCulture, $"{a.Code}:{byArm[a.Code] / gcd}")));
    }
}
