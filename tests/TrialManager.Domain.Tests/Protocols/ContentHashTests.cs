using TrialManager.Domain.Protocols;

namespace TrialManager.Domain.Tests.Protocols;

public class ContentHashTests
{
    private static string HashOf(string yaml)
    {
        var result = ProtocolLoader.Load(yaml, "hash.yaml", MalformedProtocolTests.KnownTimeZone);
        Assert.True(result.Succeeded, string.Join(Environment.NewLine, result.Errors));
        return result.Protocol.ContentHash;
    }

    private static readonly string BaseHash = HashOf(MalformedProtocolTests.Base);

    [Fact]
    public void Hash_is_lower_case_sha256_hex_and_stable()
    {
        Assert.Matches("^[0-9a-f]{64}$", BaseHash);
        Assert.Equal(BaseHash, HashOf(MalformedProtocolTests.Base));
    }

    [Theory]
    [InlineData("comment added", "sponsor: Test Sponsor", "# an amendment note\nsponsor: Test Sponsor # inline note")]
    [InlineData("quoting changed", "sponsor: Test Sponsor", "sponsor: 'Test Sponsor'")]
    [InlineData("number written differently", "ratio: 1\n  - code: PBO", "ratio: \"1\"\n  - code: PBO")]
    [InlineData("decimal with a trailing zero", "    amount: 1", "    amount: 1.00")]
    [InlineData("key order changed", "    kind: every_nth_day\n    interval_days: 3", "    interval_days: 3\n    kind: every_nth_day")]
    [InlineData("flow style instead of block style", "  dose:\n    amount: 1\n    unit: capsule", "  dose: { amount: 1, unit: capsule }")]
    [InlineData("default written out", "    eligible_when: { min: 21, max: 65 }", "    eligible_when: { min: 21, max: 65 }\n    hard_stop: true")]
    [InlineData("trailing spaces and blank lines", "kits:\n", "\n\nkits:   \n")]
    public void Same_content_gives_the_same_hash(string name, string find, string replaceWith)
    {
        Assert.True(MalformedProtocolTests.Base.Split(find).Length == 2, name);
        Assert.Equal(BaseHash, HashOf(MalformedProtocolTests.Base.Replace(find, replaceWith, StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("version", "version: \"1.0\"", "version: \"1.1\"")]
    [InlineData("arm label", "blinded_label: Placebo", "blinded_label: Placebo capsule")]
    [InlineData("block sizes", "block_sizes: [2, 4]", "block_sizes: [4, 2]")]
    [InlineData("visit window", "    window_before_days: 14", "    window_before_days: 13")]
    [InlineData("item label", "label: Item one,", "label: Item 1,")]
    [InlineData("choice label", "{ code: \"2\", label: Often }", "{ code: \"2\", label: Very often }")]
    [InlineData("required flag", "label: Item three, type: integer, min: 0, max: 2, required: true", "label: Item three, type: integer, min: 0, max: 2, required: false")]
    [InlineData("clock", "  follow_up: 15d", "  follow_up: 14d")]
    [InlineData("eligibility hard stop", "    hard_stop: false", "    hard_stop: true")]
    [InlineData("site time zone", "Europe/Amsterdam", "America/Toronto")]
    [InlineData("expected event", "[Headache, Nausea]", "[Headache, Nausea, Fatigue]")]
    public void Any_change_of_content_changes_the_hash(string name, string find, string replaceWith)
    {
        Assert.True(MalformedProtocolTests.Base.Split(find).Length == 2, name);
        Assert.NotEqual(BaseHash, HashOf(MalformedProtocolTests.Base.Replace(find, replaceWith, StringComparison.Ordinal)));
    }

    [Fact]
    public void Shipped_protocols_have_different_hashes()
    {
        Assert.NotEqual(
            ProtocolFiles.Load("psilocybin-mdd.yaml").Protocol!.ContentHash,
            ProtocolFiles.Load("lsd-gad.yaml").Protocol!.ContentHash);
    }

    [Fact]
    public void A_copy_with_changed_content_gets_a_fresh_hash()
    {
        var protocol = ProtocolLoader.Load(MalformedProtocolTests.Base, "hash.yaml", MalformedProtocolTests.KnownTimeZone).Protocol!;

        Assert.NotEqual(protocol.ContentHash, (protocol with { Version = "2.0" }).ContentHash);
    }
}
