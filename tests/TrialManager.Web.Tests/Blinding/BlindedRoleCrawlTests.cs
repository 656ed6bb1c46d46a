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
    [InlineData("depot", "DepotManager")]
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
        var code = BlindedTrialFixture.TrialCode;
        if (local == "depot")
        {
            // The supply chain without a participant: lots, stock and shipments of every site, never a site's log.
            Assert.True(report.DistinctUrls >= 15, report.Summary());
            Assert.Equal(0, participantPages);
            Assert.Contains(report.Ok, v => v.Url == "/supply");
            Assert.Contains(report.Ok, v => v.Url == $"/trials/{code}/supply");
            Assert.Contains(report.Ok, v => v.Url == $"/trials/{code}/lots/new");
            Assert.Contains(report.Ok, v => v.Url == $"/shipments/{fixture.BostonShipment}");
            Assert.True(report.Ok.Count(v => LeakCrawler.Shape(v.Url) == "/shipments/{id}") >= 3, "The depot read fewer than three shipments.");
            Assert.Contains(report.Visited, v => v.Url == $"/trials/{code}/sites/BOS/accountability" && v.Status != 200);
            Assert.Contains(report.Visited, v => v.Url == $"/kits/{fixture.BostonKit}" && v.Status != 200);
        }
        else if (local == "admin")
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

            // Drug supply: the shipments, the accountability log (page and PDF), a destruction and kit histories of
            // the sites the person sees; London staff are refused Boston's.
            Assert.Contains(report.Ok, v => v.Url == "/supply");
            Assert.Contains(report.Ok, v => v.Url == $"/trials/{code}/supply");
            Assert.Contains(report.Ok, v => v.Url == $"/trials/{code}/sites/LON/accountability");
            Assert.Contains(report.Downloads, v => v.Kind == "pdf" && v.Url == $"/trials/{code}/sites/LON/accountability.pdf");
            Assert.Contains(report.Ok, v => LeakCrawler.Shape(v.Url) == "/destructions/{id}");
            Assert.Contains(report.Ok, v => LeakCrawler.Shape(v.Url) == "/shipments/{id}");
            Assert.True(report.Ok.Count(v => LeakCrawler.Shape(v.Url) == "/kits/{kit}") >= 10, "Fewer than ten kit histories were read.");
            var bostonSeen = local == "datamanager";
            foreach (var url in new[] { $"/trials/{code}/sites/BOS/accountability", $"/shipments/{fixture.BostonShipment}", $"/destructions/{fixture.BostonDestruction}", $"/kits/{fixture.BostonKit}" })
            {
                Assert.Contains(report.Visited, v => v.Url == url && (v.Status == 200) == bostonSeen);
            }

            Assert.DoesNotContain(report.Ok, v => v.Url == $"/trials/{code}/lots/new");
        }

        // The unblinded design report exists, and was tried and refused.
        Assert.Contains(report.Visited, v => v.Url == $"/trials/{BlindedTrialFixture.TrialCode}/simulation" && v.Status != 200);
    }
}
