using TrialManager.Domain.Randomization;

namespace TrialManager.Domain.Tests.Randomization;

public class KitListPlannerTests
{
    [Fact]
    public void Psilocybin_sites_get_their_initial_stock_balanced_and_the_depot_its_reserve()
    {
        var protocol = RandomizationFixtures.Psilocybin;
        var design = RandomizationDesign.FromProtocol(protocol);
        var sites = protocol.Sites.Select(s => s.Code).ToList();

        var plan = KitListPlanner.Plan(design, sites, protocol.Kits.InitialStockPerSite, 5, RandomizationFixtures.Seed(1, "kits"));

        Assert.Equal(12 + 12 + 6, plan.Count);
        Assert.Equal(Enumerable.Range(1, plan.Count), plan.Select(k => k.Sequence));
        Assert.Equal(["LON", "BOS", null], plan.Select(k => k.SiteCode).Distinct());
        foreach (var site in new[] { "LON", "BOS" })
        {
            Assert.Equal(6, plan.Count(k => k.SiteCode == site && k.ArmCode == "PSI"));
            Assert.Equal(6, plan.Count(k => k.SiteCode == site && k.ArmCode == "PBO"));
        }

        // 5 rounded up to whole balanced blocks.
        Assert.Equal(3, plan.Count(k => k.SiteCode is null && k.ArmCode == "PSI"));
        Assert.Equal(3, plan.Count(k => k.SiteCode is null && k.ArmCode == "PBO"));
    }

    [Fact]
    public void Lsd_stock_is_rounded_up_to_whole_2_to_1_blocks_so_every_site_looks_the_same()
    {
        var protocol = RandomizationFixtures.Lsd;
        var design = RandomizationDesign.FromProtocol(protocol);

        var plan = KitListPlanner.Plan(design, ["BAS", "SFO"], protocol.Kits.InitialStockPerSite, 0, RandomizationFixtures.Seed(2, "kits"));

        Assert.Equal(2 * 12, plan.Count);
        Assert.DoesNotContain(plan, k => k.SiteCode is null);
        foreach (var site in plan.GroupBy(k => k.SiteCode))
        {
            Assert.Equal(8, site.Count(k => k.ArmCode == "LSD"));
            Assert.Equal(4, site.Count(k => k.ArmCode == "PBO"));
        }

        Assert.Equal(3, KitListPlanner.RoundUpToBlocks(design, 1));
        Assert.Equal(3, KitListPlanner.RoundUpToBlocks(design, 0));
        Assert.Equal(12, KitListPlanner.RoundUpToBlocks(design, 12));
    }

    [Fact]
    public void The_same_seed_gives_the_same_plan_and_other_seeds_other_orders()
    {
        var design = RandomizationFixtures.Design("psilocybin");
        var first = KitListPlanner.Plan(design, ["LON", "BOS"], 12, 6, RandomizationFixtures.Seed(3, "kits"));

        Assert.Equal(first, KitListPlanner.Plan(design, ["LON", "BOS"], 12, 6, RandomizationFixtures.Seed(3, "kits")));
        Assert.NotEqual(first, KitListPlanner.Plan(design, ["LON", "BOS"], 12, 6, RandomizationFixtures.Seed(4, "kits")));
    }

    [Fact]
    public void Kit_order_is_not_grouped_by_arm()
    {
        // Over 4,000 plans: at every place in a site's stock each arm appears in its ratio (chi-square, Bonferroni
        // over places), and the number of runs of equal arms matches a uniformly random order:
        // E[runs] = 1 + 2·n1·n2/n; a plan grouped by arm would have 2.
        var design = RandomizationFixtures.Design("lsd");
        const int plans = 4000;
        const int stock = 12;
        var atPlace = new long[stock, 2];
        var runs = new List<int>();
        for (var i = 0; i < plans; i++)
        {
            var plan = KitListPlanner.Plan(design, ["BAS", "SFO"], stock, 0, RandomizationFixtures.Seed(i, "kit-order"));
            foreach (var site in plan.GroupBy(k => k.SiteCode))
            {
                var arms = site.OrderBy(k => k.Sequence).Select(k => k.ArmCode).ToList();
                for (var place = 0; place < stock; place++)
                {
                    atPlace[place, arms[place] == "LSD" ? 0 : 1]++;
                }

                runs.Add(1 + arms.Zip(arms.Skip(1)).Count(pair => pair.First != pair.Second));
            }
        }

        for (var place = 0; place < stock; place++)
        {
            var p = RandomizationFixtures.ChiSquarePValue(RandomizationFixtures.ChiSquare([atPlace[place, 0], atPlace[place, 1]], [2 / 3.0, 1 / 3.0]), 1);
            Assert.True(p > 0.01 / stock, $"place {place}: p = {p}");
        }

        const double expectedRuns = 1 + (2.0 * 8 * 4 / 12);
        var mean = runs.Average();
        var standardError = Math.Sqrt(runs.Sum(r => (r - mean) * (r - mean)) / (runs.Count - 1) / runs.Count);
        Assert.InRange(mean, expectedRuns - (5 * standardError), expectedRuns + (5 * standardError));
        Assert.True(runs.Count(r => r == 2) < runs.Count / 100);
    }

    [Fact]
    public void Site_stocks_are_shuffled_independently()
    {
        var design = RandomizationFixtures.Design("psilocybin");
        var same = 0;
        for (var i = 0; i < 200; i++)
        {
            var plan = KitListPlanner.Plan(design, ["LON", "BOS"], 12, 0, RandomizationFixtures.Seed(i, "independent"));
            var orders = plan.GroupBy(k => k.SiteCode).Select(g => string.Join(',', g.Select(k => k.ArmCode))).ToList();
            same += orders[0] == orders[1] ? 1 : 0;
        }

        // 924 equally likely orders of 6 + 6: the two sites should almost never coincide.
        Assert.True(same <= 3, $"{same} of 200 plans had identical site orders");
    }

    [Fact]
    public void Bad_requests_are_refused()
    {
        var design = RandomizationFixtures.Design("psilocybin");
        var seed = RandomizationFixtures.Seed(0, "kits");

        Assert.Throws<ArgumentException>(() => KitListPlanner.Plan(design, ["LON", "LON"], 12, 0, seed));
        Assert.Throws<ArgumentException>(() => KitListPlanner.Plan(design, ["L|N"], 12, 0, seed));
        Assert.Throws<ArgumentOutOfRangeException>(() => KitListPlanner.Plan(design, ["LON"], 0, 0, seed));
        Assert.Throws<ArgumentOutOfRangeException>(() => KitListPlanner.Plan(design, ["LON"], 12, -1, seed));
        Assert.Throws<ArgumentException>(() => KitListPlanner.Plan(design, ["LON"], 12, 0, new byte[16]));
    }
}
