using System.Security.Cryptography;
using System.Text;
using TrialManager.Domain.Randomization;
using TrialManager.Domain.Supply;

namespace TrialManager.Domain.Tests.Supply;

public class ResupplyPlannerTests
{
    private static readonly DateOnly Today = new(2026, 3, 1);
    private static readonly ArmRatio[] OneToOne = [new("PSI", 1), new("PBO", 1)];
    private static readonly ArmRatio[] TwoToOne = [new("LSD", 2), new("PBO", 1)];
    private static readonly ResupplyPolicy Policy = new(minimumPerArm: 4, maximumPerArm: 12, expiryMarginDays: 30, leadTimeDays: 3);
    private static readonly Dictionary<string, int> NothingInTransit = [];

    private static SeededStream Stream(int n = 0) =>
        ResupplyPlanner.StreamFor(SHA256.HashData(Encoding.UTF8.GetBytes("test-seed/resupply")), "LON", n);

    private static List<StockKit> Stock(string arm, int count, int expiresInDays = 300) =>
        Enumerable.Range(0, count).Select(i => new StockKit($"{arm}-{expiresInDays}-{i}", arm, Today.AddDays(expiresInDays))).ToList();

    [Fact]
    public void No_shipment_while_every_arm_is_at_or_above_the_minimum()
    {
        var decision = ResupplyPlanner.Plan(OneToOne, Policy, [.. Stock("PSI", 4), .. Stock("PBO", 9)], NothingInTransit, Today, Stream());

        Assert.False(decision.NeedsShipment);
        Assert.Equal(0, decision.ShipmentSize);
        Assert.All(decision.ShipmentByArm.Values, v => Assert.Equal(0, v));
        Assert.Equal(4, decision.DispensableByArm["PSI"]);
        Assert.Empty(decision.Unavailable);
    }

    [Fact]
    public void One_arm_below_the_minimum_refills_it_to_the_maximum_in_whole_balanced_sets()
    {
        var decision = ResupplyPlanner.Plan(OneToOne, Policy, [.. Stock("PSI", 3), .. Stock("PBO", 10)], NothingInTransit, Today, Stream());

        // PSI is 9 short of 12, so 9 sets: PSI back to 12, PBO padded to 19.
        Assert.True(decision.NeedsShipment);
        Assert.Equal(9, decision.KitSets);
        Assert.Equal(9, decision.ShipmentByArm["PSI"]);
        Assert.Equal(9, decision.ShipmentByArm["PBO"]);
        Assert.Equal(18, decision.ShipmentSize);
        Assert.Equal(9, decision.PackingOrder.Count(a => a == "PSI"));
    }

    [Fact]
    public void The_shipment_is_the_same_whichever_arm_ran_low()
    {
        var psiLow = ResupplyPlanner.Plan(OneToOne, Policy, [.. Stock("PSI", 2), .. Stock("PBO", 7)], NothingInTransit, Today, Stream());
        var pboLow = ResupplyPlanner.Plan(OneToOne, Policy, [.. Stock("PSI", 7), .. Stock("PBO", 2)], NothingInTransit, Today, Stream());

        Assert.Equal(psiLow.ShipmentByArm, pboLow.ShipmentByArm);
        Assert.Equal(psiLow.KitSets, pboLow.KitSets);
    }

    [Theory]
    [InlineData(2, 10, 11)] // LSD below 3 × 2 and 22 short of 12 × 2: 11 sets
    [InlineData(10, 2, 10)] // PBO below 3 and 10 short of 12: 10 sets
    [InlineData(5, 9, 10)] // LSD below 6 but PBO above 3: LSD 19 short, 10 sets
    public void Unequal_ratios_ship_multiples_of_the_ratio_pattern(int lsd, int pbo, int sets)
    {
        var policy = new ResupplyPolicy(3, 12, 30, 3);
        var decision = ResupplyPlanner.Plan(TwoToOne, policy, [.. Stock("LSD", lsd), .. Stock("PBO", pbo)], NothingInTransit, Today, Stream());

        Assert.Equal(sets, decision.KitSets);
        Assert.Equal(2 * sets, decision.ShipmentByArm["LSD"]);
        Assert.Equal(sets, decision.ShipmentByArm["PBO"]);
        Assert.True(lsd + decision.ShipmentByArm["LSD"] >= 24 && pbo + decision.ShipmentByArm["PBO"] >= 12);
    }

    [Fact]
    public void Kits_in_transit_count_as_stock_so_a_pending_shipment_is_not_doubled()
    {
        var inTransit = new Dictionary<string, int> { ["PSI"] = 9, ["PBO"] = 9 };
        var decision = ResupplyPlanner.Plan(OneToOne, Policy, [.. Stock("PSI", 3), .. Stock("PBO", 10)], inTransit, Today, Stream());

        Assert.False(decision.NeedsShipment);
    }

    [Fact]
    public void Packing_order_is_shuffled_deterministically_per_shipment()
    {
        var stock = Stock("PBO", 12);
        var first = ResupplyPlanner.Plan(OneToOne, Policy, stock, NothingInTransit, Today, Stream(1)).PackingOrder;
        var again = ResupplyPlanner.Plan(OneToOne, Policy, stock, NothingInTransit, Today, Stream(1)).PackingOrder;
        var other = ResupplyPlanner.Plan(OneToOne, Policy, stock, NothingInTransit, Today, Stream(2)).PackingOrder;

        Assert.Equal(24, first.Count);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.NotEqual(first.Order(StringComparer.Ordinal), first);
    }

    [Fact]
    public void Kits_within_the_margin_are_unavailable_and_listed_and_do_not_count()
    {
        // Expiring in 30 days with a 30-day margin: not dispensable today. In 33 days: dispensable today but not
        // after the 3-day lead time, so not counted either, yet not listed for quarantine yet.
        List<StockKit> stock = [.. Stock("PSI", 2, expiresInDays: 30), .. Stock("PSI", 2, expiresInDays: 33), .. Stock("PSI", 3, expiresInDays: 34), .. Stock("PBO", 12, expiresInDays: -1)];

        var decision = ResupplyPlanner.Plan(OneToOne, Policy, stock, NothingInTransit, Today, Stream());

        Assert.Equal(3, decision.DispensableByArm["PSI"]);
        Assert.Equal(0, decision.DispensableByArm["PBO"]);
        Assert.Equal(14, decision.Unavailable.Count);
        Assert.All(decision.Unavailable, k => Assert.True(k.ArmCode == "PBO" || k.Expiry == Today.AddDays(30)));
        Assert.Equal(12, decision.KitSets);
        Assert.True(Policy.IsDispensable(Today.AddDays(31), Today));
        Assert.False(Policy.IsDispensable(Today.AddDays(30), Today));
    }

    [Fact]
    public void Policy_reads_the_protocol_and_rejects_nonsense()
    {
        var kits = ProtocolsForSupply.Psilocybin.Kits;
        var policy = ResupplyPolicy.FromProtocol(kits, 30, 3);

        Assert.Equal((4, 12), (policy.MinimumPerArm, policy.MaximumPerArm));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ResupplyPolicy(5, 4, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ResupplyPolicy(0, 0, 0, 0));
        Assert.Throws<ArgumentException>(() => ResupplyPlanner.Plan(OneToOne, Policy, Stock("LSD", 1), NothingInTransit, Today, Stream()));
    }
}
