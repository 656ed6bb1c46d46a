using TrialManager.Domain.Protocols;
using TrialManager.Domain.Randomization;
using TrialManager.Domain.Supply;

namespace TrialManager.Domain.Tests.Protocols;

/// <summary>
/// The supply part of a protocol: depots (optional, lead time 2 days unless given), the depot that supplies each
/// site (the first depot unless the site names one), a site's own resupply levels, and the expiry margin.
/// </summary>
public class DepotProtocolTests
{
    private const string BaseSites = """
sites:
  - code: AMS
    name: Amsterdam
    country: NL
    time_zone: Europe/Amsterdam

""";

    private const string TwoDepots = """
depots:
  - code: EUD
    name: Europe depot
    country: NL
    time_zone: Europe/Amsterdam
  - code: CAD
    name: Canada depot
    country: CA
    time_zone: America/Toronto
    lead_time_days: 5

""";

    /// <summary>The validation base protocol with its sites (and optionally depots) replaced, and extra kit keys.</summary>
    private static string Yaml(string sitesAndDepots, string kitsExtra = "")
    {
        var text = MalformedProtocolTests.Base;
        Assert.True(text.Split(BaseSites).Length == 2, "The base protocol's sites block must occur exactly once.");
        Assert.True(text.Split("  resupply_max: 8\n").Length == 2, "The base protocol's resupply_max must occur exactly once.");
        return text
            .Replace(BaseSites, sitesAndDepots, StringComparison.Ordinal)
            .Replace("  resupply_max: 8\n", "  resupply_max: 8\n" + kitsExtra, StringComparison.Ordinal);
    }

    private static string Site(string code, string zone = "Europe/Amsterdam", string extra = "") =>
        $"  - code: {code}\n    name: Site {code}\n    country: NL\n    time_zone: {zone}\n{extra}";

    private static Protocol Loads(string yaml)
    {
        var result = ProtocolLoader.Load(yaml, "supply.yaml", MalformedProtocolTests.KnownTimeZone);
        Assert.True(result.Succeeded, string.Join(Environment.NewLine, result.Errors));
        return result.Protocol;
    }

    private static void Rejects(string yaml, string path, string fragment)
    {
        var result = ProtocolLoader.Load(yaml, "supply.yaml", MalformedProtocolTests.KnownTimeZone);

        Assert.False(result.Succeeded);
        Assert.Null(result.Protocol);
        Assert.True(
            result.Errors.Any(e => e.FieldPath == path && e.Line >= 1 && e.Message.Contains(fragment, StringComparison.Ordinal) && e.File == "supply.yaml"),
            $"Expected {path} with \"{fragment}\"; got:{Environment.NewLine}{string.Join(Environment.NewLine, result.Errors)}");
    }

    [Fact]
    public void Without_depots_sites_have_no_depot_and_no_lead_time()
    {
        var protocol = Loads(MalformedProtocolTests.Base);

        Assert.Empty(protocol.Depots);
        var site = Assert.Single(protocol.Sites);
        Assert.Null(site.DepotCode);
        Assert.Null(site.ResupplyMinimum);
        Assert.Null(site.ResupplyMaximum);
        Assert.Equal((2, 8), protocol.ResupplyLevels("AMS"));

        var policy = ResupplyPolicy.ForSite(protocol, "AMS");
        Assert.Equal(0, policy.LeadTimeDays);
        Assert.Equal(2, policy.MinimumPerArm);
        Assert.Equal(8, policy.MaximumPerArm);
    }

    [Fact]
    public void Depots_load_with_a_default_lead_time_of_two_days_and_sites_default_to_the_first_depot()
    {
        var protocol = Loads(Yaml(TwoDepots + "sites:\n" + Site("AMS") + Site("TOR", "America/Toronto", "    depot: CAD\n") + "\n"));

        Assert.Equal(
            [new Depot("EUD", "Europe depot", "NL", "Europe/Amsterdam", 2), new Depot("CAD", "Canada depot", "CA", "America/Toronto", 5)],
            protocol.Depots);
        Assert.Equal("EUD", protocol.FindSite("AMS")!.DepotCode);
        Assert.Equal("CAD", protocol.FindSite("TOR")!.DepotCode);
        Assert.Equal(5, protocol.FindDepot("CAD")!.LeadTimeDays);
        Assert.Null(protocol.FindDepot("XXX"));
    }

    [Fact]
    public void A_site_naming_an_unknown_depot_is_rejected_with_a_suggestion()
    {
        Rejects(Yaml(TwoDepots + "sites:\n" + Site("AMS", extra: "    depot: EUU\n") + "\n"), "sites[0].depot", "There is no depot 'EUU': did you mean 'EUD'?");
        Rejects(Yaml(TwoDepots + "sites:\n" + Site("AMS", extra: "    depot: ZZZZZZZZ\n") + "\n"), "sites[0].depot", "defined are EUD, CAD");
    }

    [Fact]
    public void A_site_naming_a_depot_when_there_are_no_depots_is_rejected()
    {
        Rejects(Yaml("sites:\n" + Site("AMS", extra: "    depot: EUD\n") + "\n"), "sites[0].depot", "the protocol has no 'depots' section");
    }

    public static TheoryData<string, string, string> BadDepots => new()
    {
        // depot block replacement, field path, message fragment
        { "  - code: EUD\n    name: Europe depot\n    country: NL\n    time_zone: Europe/Amsterdam\n    lead_time_days: 61\n", "depots[0].lead_time_days", "whole number from 0 to 60, not '61'" },
        { "  - code: EUD\n    name: Europe depot\n    country: NL\n    time_zone: Europe/Amsterdam\n    lead_time_days: -1\n", "depots[0].lead_time_days", "whole number from 0 to 60, not '-1'" },
        { "  - code: EUD\n    name: Europe depot\n    country: NL\n    time_zone: Europe/Amsterdam\n  - code: eud\n    name: Other\n    country: NL\n    time_zone: Europe/Amsterdam\n", "depots[1].code", "Duplicate depot code 'eud'" },
        { "  - code: EUD\n    name: Europe depot\n    country: nl\n    time_zone: Europe/Amsterdam\n", "depots[0].country", "two capital letters" },
        { "  - code: EUD\n    name: Europe depot\n    country: NL\n    time_zone: Europe/Amsterdm\n", "depots[0].time_zone", "not a known IANA time zone" },
        { "  - code: EUD\n    name: Europe depot\n    country: NL\n    time_zone: Europe/Amsterdam\n    lead_tme_days: 3\n", "depots[0].lead_tme_days", "did you mean 'lead_time_days'?" },
        { "  - code: EUD\n    country: NL\n    time_zone: Europe/Amsterdam\n", "depots[0].name", "Required field 'name' is missing" },
    };

    [Theory]
    [MemberData(nameof(BadDepots))]
    public void Malformed_depots_are_rejected(string depots, string path, string fragment)
    {
        Rejects(Yaml("depots:\n" + depots + "\nsites:\n" + Site("AMS") + "\n"), path, fragment);
    }

    [Fact]
    public void A_site_may_have_its_own_resupply_levels()
    {
        var protocol = Loads(Yaml(TwoDepots + "sites:\n"
            + Site("AMS", extra: "    resupply_min: 3\n    resupply_max: 10\n")
            + Site("ROT", extra: "    resupply_min: 1\n")
            + Site("UTR", extra: "    resupply_max: 12\n")
            + Site("TOR", "America/Toronto", "    depot: CAD\n") + "\n"));

        Assert.Equal((3, 10), protocol.ResupplyLevels("AMS"));
        Assert.Equal((1, 8), protocol.ResupplyLevels("ROT"));
        Assert.Equal((2, 12), protocol.ResupplyLevels("UTR"));
        Assert.Equal((2, 8), protocol.ResupplyLevels("TOR"));
        Assert.Equal((2, 8), protocol.ResupplyLevels("NOPE"));
        Assert.Equal(1, protocol.FindSite("ROT")!.ResupplyMinimum);
        Assert.Null(protocol.FindSite("ROT")!.ResupplyMaximum);
    }

    public static TheoryData<string, string, string> BadSiteLevels => new()
    {
        // the site's extra keys, field path, message fragment
        { "    resupply_min: 5\n    resupply_max: 4\n", "sites[0].resupply_max", "Site AMS: resupply_max (4) is below resupply_min (5)" },
        { "    resupply_max: 1\n", "sites[0].resupply_max", "Site AMS: resupply_max (1) is below resupply_min (2)" },
        { "    resupply_min: 9\n", "sites[0].resupply_min", "Site AMS: resupply_max (8) is below resupply_min (9)" },
        { "    resupply_min: 7\n    resupply_max: 20\n", "sites[0].resupply_min", "Site AMS: resupply_min (7 kits per unit of ratio) is above the initial stock (initial_stock_per_site 6 = 3 per unit of ratio)" },
        { "    resupply_min: -1\n", "sites[0].resupply_min", "whole number from 0 to 10000, not '-1'" },
        { "    resupply_max: 0\n", "sites[0].resupply_max", "whole number from 1 to 10000, not '0'" },
        { "    resupply_mn: 3\n", "sites[0].resupply_mn", "did you mean 'resupply_min'?" },
    };

    [Theory]
    [MemberData(nameof(BadSiteLevels))]
    public void A_site_s_own_resupply_levels_must_make_sense(string extra, string path, string fragment)
    {
        Rejects(Yaml(TwoDepots + "sites:\n" + Site("AMS", extra: extra) + "\n"), path, fragment);
    }

    /// <summary>
    /// FAILS (bug in ProtocolMapper.MapKits and ProtocolMapper.CheckResupplyLevels): <c>initial_stock_per_site</c> counts
    /// kits of all arms together, while <c>resupply_min</c> counts kits per arm per unit of ratio, but the check compares
    /// the two numbers directly. Six kits in a 1:1 trial are three of each arm, under a minimum of four: the file loads,
    /// and the planner asks for a resupply before the site's first participant, which is what the check is meant to stop.
    /// </summary>
    [Fact]
    public void An_initial_stock_with_fewer_kits_of_an_arm_than_the_minimum_is_rejected()
    {
        var trialLevel = MalformedProtocolTests.Base.Replace("  resupply_min: 2\n", "  resupply_min: 4\n", StringComparison.Ordinal);
        var siteLevel = Yaml(TwoDepots + "sites:\n" + Site("AMS", extra: "    resupply_min: 4\n") + "\n");
        foreach (var yaml in new[] { trialLevel, siteLevel })
        {
            var result = ProtocolLoader.Load(yaml, "supply.yaml", MalformedProtocolTests.KnownTimeZone);
            if (result.Succeeded)
            {
                var protocol = result.Protocol;
                var design = RandomizationDesign.FromProtocol(protocol);
                var initial = KitListPlanner.Plan(design, ["AMS"], protocol.Kits.InitialStockPerSite, 0, new byte[32]);
                var today = new DateOnly(2026, 3, 1);
                var decision = ResupplyPlanner.Plan(
                    [.. protocol.Arms.Select(a => new ArmRatio(a.Code, a.Ratio))],
                    ResupplyPolicy.ForSite(protocol, "AMS"),
                    [.. initial.Select(k => new StockKit($"K{k.Sequence}", k.ArmCode, today.AddDays(365)))],
                    new Dictionary<string, int>(),
                    today,
                    ResupplyPlanner.StreamFor(new byte[32], "AMS", 1));
                Assert.Fail(
                    $"initial_stock_per_site {protocol.Kits.InitialStockPerSite} ({initial.Count(k => k.ArmCode == "ACT")} kits per arm) passed validation against resupply_min {protocol.ResupplyLevels("AMS").Minimum} per arm; " +
                    $"the resupply planner then wants a shipment before the first participant (needs shipment: {decision.NeedsShipment}).");
            }

            Assert.Contains(result.Errors, e => e.Message.Contains("initial_stock_per_site", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_expiry_margin_defaults_to_fourteen_days()
    {
        var protocol = Loads(MalformedProtocolTests.Base);

        Assert.Equal(14, KitDefinition.DefaultExpiryMarginDays);
        Assert.Equal(14, protocol.Kits.ExpiryMarginDays);
        var today = new DateOnly(2026, 3, 1);
        Assert.True(protocol.Kits.IsDispensable(today.AddDays(15), today));
        Assert.False(protocol.Kits.IsDispensable(today.AddDays(14), today));
        Assert.False(protocol.Kits.IsDispensable(today, today));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(30)]
    [InlineData(365)]
    public void The_expiry_margin_may_be_set_from_0_to_365_days(int days)
    {
        var protocol = Loads(Yaml(BaseSites, $"  expiry_margin_days: {days}\n"));

        Assert.Equal(days, protocol.Kits.ExpiryMarginDays);
        var today = new DateOnly(2026, 3, 1);
        Assert.True(protocol.Kits.IsDispensable(today.AddDays(days + 1), today));
        Assert.False(protocol.Kits.IsDispensable(today.AddDays(days), today));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("366")]
    [InlineData("two weeks")]
    public void An_expiry_margin_out_of_bounds_is_rejected(string days)
    {
        Rejects(Yaml(BaseSites, $"  expiry_margin_days: {days}\n"), "kits.expiry_margin_days", $"whole number from 0 to 365, not '{days}'");
    }

    [Fact]
    public void The_policy_for_a_site_combines_its_levels_the_protocol_margin_and_its_depot_lead_time()
    {
        var protocol = Loads(Yaml(
            TwoDepots + "sites:\n" + Site("AMS", extra: "    resupply_min: 3\n") + Site("TOR", "America/Toronto", "    depot: CAD\n    resupply_max: 11\n") + "\n",
            "  expiry_margin_days: 21\n"));

        var amsterdam = ResupplyPolicy.ForSite(protocol, "AMS");
        Assert.Equal((3, 8, 21, 2), (amsterdam.MinimumPerArm, amsterdam.MaximumPerArm, amsterdam.ExpiryMarginDays, amsterdam.LeadTimeDays));
        var toronto = ResupplyPolicy.ForSite(protocol, "TOR");
        Assert.Equal((2, 11, 21, 5), (toronto.MinimumPerArm, toronto.MaximumPerArm, toronto.ExpiryMarginDays, toronto.LeadTimeDays));

        // A site the protocol does not have gets the trial's levels and no lead time.
        var unknown = ResupplyPolicy.ForSite(protocol, "XXX");
        Assert.Equal((2, 8, 21, 0), (unknown.MinimumPerArm, unknown.MaximumPerArm, unknown.ExpiryMarginDays, unknown.LeadTimeDays));

        // The policy and the protocol agree on what is dispensable.
        var today = new DateOnly(2026, 3, 1);
        foreach (var offset in new[] { 20, 21, 22 })
        {
            Assert.Equal(protocol.Kits.IsDispensable(today.AddDays(offset), today), amsterdam.IsDispensable(today.AddDays(offset), today));
        }
    }

    [Fact]
    public void The_shipped_protocols_name_a_depot_for_every_site()
    {
        var psilocybin = ProtocolFiles.Load("psilocybin-mdd.yaml").Protocol!;
        Assert.Equal(["EUD", "USD"], psilocybin.Depots.Select(d => d.Code));
        Assert.Equal([("LON", "EUD"), ("BOS", "USD")], psilocybin.Sites.Select(s => (s.Code, s.DepotCode!)));
        Assert.All(psilocybin.Depots, d => Assert.Equal(2, d.LeadTimeDays));
        Assert.Equal(14, psilocybin.Kits.ExpiryMarginDays);
        var london = ResupplyPolicy.ForSite(psilocybin, "LON");
        Assert.Equal((4, 12, 14, 2), (london.MinimumPerArm, london.MaximumPerArm, london.ExpiryMarginDays, london.LeadTimeDays));

        var lsd = ProtocolFiles.Load("lsd-gad.yaml").Protocol!;
        Assert.Equal([("BAS", "EUD"), ("SFO", "USW")], lsd.Sites.Select(s => (s.Code, s.DepotCode!)));
        Assert.Equal(21, lsd.Kits.ExpiryMarginDays);
        var sanFrancisco = ResupplyPolicy.ForSite(lsd, "SFO");
        Assert.Equal((4, 10, 21, 1), (sanFrancisco.MinimumPerArm, sanFrancisco.MaximumPerArm, sanFrancisco.ExpiryMarginDays, sanFrancisco.LeadTimeDays));
        var basel = ResupplyPolicy.ForSite(lsd, "BAS");
        Assert.Equal((3, 10, 21, 2), (basel.MinimumPerArm, basel.MaximumPerArm, basel.ExpiryMarginDays, basel.LeadTimeDays));
    }
}
