using TrialManager.Domain.Randomization;
using Xunit.Abstractions;

namespace TrialManager.Domain.Tests.Randomization;

public class SimulationReportTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("psilocybin")]
    [InlineData("lsd")]
    public void Report_summarizes_imbalance_block_sizes_and_predictability(string name)
    {
        var design = RandomizationFixtures.Design(name);

        var report = SimulationReport.Run(design, 1000, RandomizationFixtures.Seed(0, "simulation"));
        var markdown = report.ToMarkdown();
        output.WriteLine(markdown);

        Assert.Equal(1000, report.Runs);
        Assert.Equal(design.Strata, report.Strata.Select(s => s.Stratum));
        Assert.Equal(Imbalance.BlockBound(design.Arms, design.BlockSizes[^1]), report.ImbalanceBound);
        foreach (var stratum in report.Strata)
        {
            Assert.True(stratum.WorstRunningImbalance.Maximum <= report.ImbalanceBound + 1e-12);
            Assert.True(stratum.WorstRunningImbalance.Mean <= stratum.WorstRunningImbalance.Percentile95);
            Assert.True(stratum.WorstRunningImbalance.Percentile95 <= stratum.WorstRunningImbalance.Maximum);
            Assert.True(stratum.ImbalanceAtRandomStop.Mean < stratum.WorstRunningImbalance.Mean);
            Assert.True(stratum.ImbalanceAtRandomStop.Maximum <= report.ImbalanceBound + 1e-12);
        }

        Assert.Equal(design.BlockSizes, report.BlockSizeShares.Select(b => b.Size));
        Assert.All(report.BlockSizeShares, b => Assert.InRange(b.Share, (1.0 / design.BlockSizes.Count) - 0.03, (1.0 / design.BlockSizes.Count) + 0.03));
        Assert.Equal(1.0, report.BlockSizeShares.Sum(b => b.Share), 9);
        Assert.InRange(report.Guessing.CorrectRate, report.Guessing.ExpectedRate - 0.01, report.Guessing.ExpectedRate + 0.01);
        Assert.Equal(design.BlockSizes, report.FixedBlockGuessing.Select(g => g.BlockSizes.Single()));

        Assert.Contains("| Stratum |", markdown, StringComparison.Ordinal);
        Assert.Contains(design.Strata[0].Canonical, markdown, StringComparison.Ordinal);
        Assert.All(design.Arms, arm => Assert.DoesNotContain(arm.Code, markdown, StringComparison.Ordinal));
    }

    [Fact]
    public void Report_is_reproducible_from_its_seed_and_changes_with_it()
    {
        var design = RandomizationFixtures.Design("lsd");

        var first = SimulationReport.Run(design, 200, RandomizationFixtures.Seed(1, "simulation")).ToMarkdown();

        Assert.Equal(first, SimulationReport.Run(design, 200, RandomizationFixtures.Seed(1, "simulation")).ToMarkdown());
        Assert.NotEqual(first, SimulationReport.Run(design, 200, RandomizationFixtures.Seed(2, "simulation")).ToMarkdown());
    }

    [Fact]
    public void Worst_imbalance_summary_uses_nearest_rank_percentiles()
    {
        var summary = DistributionSummary.Of([.. Enumerable.Range(1, 100).Select(i => (double)i)]);

        Assert.Equal(new DistributionSummary(50.5, 95, 100), summary);
        Assert.Throws<ArgumentException>(() => DistributionSummary.Of([]));
    }
}
