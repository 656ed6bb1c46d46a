namespace TrialManager.Web.Tests.Blinding;

/// <summary>The leak rules catch each way an arm, a block size or a per-arm count could be written, and not ordinary page wording.</summary>
public class LeakRulesTests
{
    private static readonly LeakRules Rules = new(
        [
            ("PSI", "Psilocybin 1 mg per capsule (about 0.15 g dried Psilocybe cubensis)"),
            ("PBO", "Placebo capsule, identical in look, weight and taste"),
            ("ZXACT", "Quillwort active capsule"),
            ("ZXCTL", "Marram control capsule"),
        ],
        ["Quillwort", "Marram"],
        ["PSI-MDD-01", "BLIND-CRAWL-60"]);

    [Theory]
    [InlineData("<td data-arm=\"PSI\">7QH-4MX</td>", "arm code 'PSI'")]
    [InlineData("class=\"arm-pbo\"", "arm code 'PBO'")]
    [InlineData("kit,allocation\n7QH-4MX,zxact", "arm code 'ZXACT'")]
    [InlineData("armZXCTL", "arm code 'ZXCTL'")]
    [InlineData("Kit 7QH-4MX: Quillwort\n   active capsule", "arm label 'Quillwort active capsule'")]
    [InlineData("Psilocybin 1 mg per caps…", "arm label 'Psilocybin 1 mg per capsule (about 0.15 g dried Psilocybe cubensis)' (start)")]
    [InlineData("the Marram one", "arm secret 'Marram'")]
    [InlineData("Block size: 4", "block size")]
    [InlineData("\"BlockSizes\":[2,4,6]", "block size")]
    [InlineData("block_sizes: [2, 4, 6]", "block size")]
    [InlineData("permuted blocks of 4 and 6", "block size")]
    [InlineData("block length 6", "block size")]
    [InlineData("Randomized so far: 31 per arm", "per-arm count or mapping")]
    [InlineData("Counts by arm", "per-arm count or mapping")]
    [InlineData("per-arm totals", "per-arm count or mapping")]
    [InlineData("{\"ArmCounts\":{}}", "per-arm count or mapping")]
    [InlineData("Arm A 31 Arm B 31", "per-arm count or mapping")]
    [InlineData("Allocation ratio 1:1", "per-arm count or mapping")]
    [InlineData("kit-to-arm list", "per-arm count or mapping")]
    [InlineData("Stock per arm: 6 / 6", "per-arm count or mapping")]
    [InlineData("Kits by arm at London", "per-arm count or mapping")]
    [InlineData("per-arm stock below the minimum", "per-arm count or mapping")]
    [InlineData("{\"StockByArm\":{}}", "per-arm count or mapping")]
    [InlineData("Resupply levels per arm", "per-arm count or mapping")]
    public void A_leak_is_caught(string text, string rule) =>
        Assert.Contains(Rules.Check("/x", "text", text), f => f.Rule == rule);

    [Theory]
    [InlineData("PSI-MDD-01 · Psilocybin microdosing versus placebo in moderate depression, a 6-week double-blind trial")]
    [InlineData("Design: 2 arms, double-blind; dosing over 42 days")]
    [InlineData("It shows no treatment arm and no count by arm.")]
    [InlineData("The closed report is by arm, for the DSMB and the safety officer only.")]
    [InlineData("Randomization number R0001 · kit 7QH-4MX, 2XP-9KD · BLIND-CRAWL-60")]
    [InlineData("<div class=\"d-inline-block small\" style=\"block-size: 2rem\">Blinding guess: Psilocybin / Placebo / Do not know</div>")]
    [InlineData("Seizure, grade 3, serious; blood pressure taken on the left arm")]
    [InlineData("Kit codes, lots and counts of kits only: arms stay sealed inside the resupply service.")]
    [InlineData("Counts are of kits, every arm together. No stock by arm is shown.")]
    [InlineData("Kits come in sets: one set holds every arm in the trial's ratio, so a lot never leans towards an arm.")]
    [InlineData("<input name=\"__RequestVerificationToken\" type=\"hidden\" value=\"CfDJ8NzTAfUXxGpJgXgS9Ey9PKIQBXB0qZxcTLn5eKkfIEgA8M1mEJzxctlAUCOTgquXNWE6gx6xdVB4\" />")]
    public void Ordinary_wording_is_not_a_leak(string text) =>
        Assert.Empty(Rules.Check("/x", "text", text));
}
