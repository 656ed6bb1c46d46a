using Xunit.Abstractions;

namespace TrialManager.Web.Tests.Blinding;

/// <summary>
/// The blind, proved by reading everything each blinded role can reach (pages, their forms' pages, every link and
/// download, and every GET route of the app), in a trial with 62 randomized participants: no arm label or code (so no
/// kit-to-arm mapping), no block size and no per-arm count anywhere, and no server error. The crawler finds pages by
/// itself, so pages added later are covered without editing this test; <see cref="PlantedLeakTests"/> shows it fails
/// when something does leak.
/// </summary>
public class BlindedRoleCrawlTests(BlindedTrialFixture fixture, ITestOutputHelper output) : IClassFixture<BlindedTrialFixture>
{
    [Theory]
    [InlineData("coordinator", "SiteCoordinator")]
    [InlineData("investigator", "Investigator")]
    [InlineData("datamanager", "DataManager")]
    [InlineData("admin", "Administrator")]
    public async Task A_blinded_role_reaches_no_arm_block_size_or_per_arm_count_anywhere(string local, string role)
    {
        output.WriteLine($"Setup (once per class): {fixture.Randomized} randomized in {fixture.SetupTime.TotalSeconds:0.0} s; {fixture.Rules.Count} rules");
        var report = await BlindingCrawl.CrawlAsync(fixture.App, local, fixture.Rules, fixture.KnownValues);
        BlindingCrawl.Log(output, $"{role}-{local}", report);

        Assert.True(report.SignedOutAt.Count == 0, $"The crawl lost its session at {string.Join(", ", report.SignedOutAt)}");
        Assert.False(report.Truncated, $"The crawl stopped at its request limit before reading everything: {report.Summary()}");
        Assert.True(report.Findings.Count == 0, BlindingCrawl.Describe(report, local));

        // A crawler that discovers nothing proves nothing: each role must have read what it works with.
        var participantPages = report.Ok.Count(v => LeakCrawler.Shape(v.Url) == "/participants/{id}" && v.Kind == "html");
        var randomizationNumbers = report.TestIdCounts.GetValueOrDefault("randomization-number");
        if (local == "admin")
        {
            Assert.True(report.DistinctUrls >= 15, report.Summary());
            Assert.Contains(report.Ok, v => v.Url == "/admin/users");
            Assert.Contains(report.Ok, v => v.Url == "/trials/" + BlindedTrialFixture.TrialCode);
            Assert.Equal(0, participantPages);
        }
        else
        {
            // London staff see London's 32 trial participants and the demo one; the data manager sees both sites.
            var expected = local == "datamanager" ? 2 * (BlindedTrialFixture.PerSite + 2) : BlindedTrialFixture.PerSite + 2;
            Assert.True(report.DistinctUrls >= 100, report.Summary());
            Assert.True(participantPages >= expected, $"{participantPages} participant pages read, {expected} expected");
            Assert.True(randomizationNumbers >= (local == "datamanager" ? 2 : 1) * BlindedTrialFixture.PerSite, $"{randomizationNumbers} pages showed a randomization number");
            Assert.Contains(report.Downloads, v => v.Kind == "pdf" && v.Url.EndsWith("/casebook.pdf", StringComparison.Ordinal));
            Assert.Contains(report.Downloads, v => v.Kind == "pdf" && v.Url.EndsWith("/crf.pdf", StringComparison.Ordinal));
            Assert.Contains(report.Downloads, v => v.Url.StartsWith("/audit/export.csv", StringComparison.Ordinal));
        }

        // The unblinded design report exists, and was tried and refused.
        Assert.Contains(report.Visited, v => v.Url == $"/trials/{BlindedTrialFixture.TrialCode}/simulation" && v.Status != 200);
    }
}
