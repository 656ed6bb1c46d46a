using TrialManager.Domain.Protocols;
using TrialManager.Domain.Randomization;

namespace TrialManager.Domain.Tests.Randomization;

public class StratumKeyTests
{
    [Fact]
    public void Canonical_form_parses_back_to_an_equal_key()
    {
        var key = new StratumKey("LON", [new StratumLevel("baseline_severity", "moderate"), new StratumLevel("sex", "female")]);

        Assert.Equal("LON|baseline_severity=moderate|sex=female", key.ToString());
        var parsed = StratumKey.Parse(key.Canonical);
        Assert.Equal(key, parsed);
        Assert.Equal(key.GetHashCode(), parsed.GetHashCode());
        Assert.Equal("moderate", parsed.LevelOf("baseline_severity"));
        Assert.Null(parsed.LevelOf("age"));
    }

    [Fact]
    public void No_site_is_written_as_a_star_and_no_factors_leave_just_the_site()
    {
        Assert.Equal("*|sex=male", new StratumKey(null, [new StratumLevel("sex", "male")]).Canonical);
        Assert.Null(StratumKey.Parse("*|sex=male").SiteCode);
        Assert.Equal("BAS", new StratumKey("BAS", []).Canonical);
        Assert.Equal("*", StratumKey.Parse("*").Canonical);
    }

    [Fact]
    public void Value_equality_does_not_depend_on_the_list_instance()
    {
        var a = new StratumKey("LON", [new StratumLevel("sex", "male")]);
        var b = new StratumKey("LON", new List<StratumLevel> { new("sex", "male") });

        Assert.Equal(a, b);
        Assert.NotEqual(a, new StratumKey("BOS", [new StratumLevel("sex", "male")]));
        Assert.NotEqual(a, new StratumKey(null, [new StratumLevel("sex", "male")]));
        Assert.Single(new HashSet<StratumKey> { a, b });
    }

    [Theory]
    [InlineData("")]
    [InlineData("|sex=male")]
    [InlineData("LON|sex")]
    [InlineData("LON|sex=male=x")]
    [InlineData("LON|sex=male|sex=female")]
    [InlineData("LON|=male")]
    [InlineData("LO N|sex=male")]
    [InlineData("LON|sex=male|")]
    public void Malformed_keys_do_not_parse(string text)
    {
        Assert.False(StratumKey.TryParse(text, out _));
        Assert.Throws<FormatException>(() => StratumKey.Parse(text));
    }

    [Fact]
    public void Codes_with_separators_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new StratumLevel("se|x", "male"));
        Assert.Throws<ArgumentException>(() => new StratumLevel("sex", "ma=le"));
        Assert.Throws<ArgumentException>(() => new StratumKey("*", []));
    }

    [Fact]
    public void Psilocybin_strata_are_sites_times_severity_in_protocol_order()
    {
        var strata = Strata.Enumerate(RandomizationFixtures.Psilocybin);

        Assert.Equal(
            ["LON|baseline_severity=moderate", "LON|baseline_severity=moderately_severe", "BOS|baseline_severity=moderate", "BOS|baseline_severity=moderately_severe"],
            strata.Select(s => s.Canonical));
    }

    [Fact]
    public void Lsd_strata_are_sites_times_sex()
    {
        Assert.Equal(
            ["BAS|sex=female", "BAS|sex=male", "SFO|sex=female", "SFO|sex=male"],
            Strata.Enumerate(RandomizationFixtures.Lsd).Select(s => s.Canonical));
    }

    [Fact]
    public void Without_site_stratification_there_is_one_all_sites_entry_and_factors_multiply()
    {
        var protocol = RandomizationFixtures.Lsd;
        var sex = protocol.Randomization.Factors[0];
        var age = new StratificationFactor("age", "Age", new ParticipantAttributeSource("age"), [new StratificationLevel("young", "Young", ["y"]), new StratificationLevel("old", "Old", ["o"]), new StratificationLevel("older", "Older", ["oo"])]);
        var changed = protocol with { Randomization = protocol.Randomization with { StratifyBySite = false, Factors = [sex, age] } };

        var strata = Strata.Enumerate(changed);

        Assert.Equal(6, strata.Count);
        Assert.Equal("*|sex=female|age=young", strata[0].Canonical);
        Assert.Equal("*|sex=female|age=old", strata[1].Canonical);
        Assert.Equal("*|sex=male|age=older", strata[5].Canonical);
    }

    [Fact]
    public void KeyFor_finds_a_participants_stratum_and_refuses_unknown_levels()
    {
        var protocol = RandomizationFixtures.Lsd;

        Assert.Equal("SFO|sex=male", Strata.KeyFor(protocol, "SFO", new Dictionary<string, string> { ["sex"] = "male" }).Canonical);
        Assert.Throws<ArgumentException>(() => Strata.KeyFor(protocol, "SFO", new Dictionary<string, string> { ["sex"] = "other" }));
        Assert.Throws<ArgumentException>(() => Strata.KeyFor(protocol, "SFO", new Dictionary<string, string>()));
        Assert.Throws<ArgumentException>(() => Strata.KeyFor(protocol, "XXX", new Dictionary<string, string> { ["sex"] = "male" }));
    }
}
