using TrialManager.Domain.Access;
using TrialManager.Domain.Protocols;

namespace TrialManager.Domain.Tests.Protocols;

public class ShippedProtocolTests
{
    [Theory]
    [InlineData("psilocybin-mdd.yaml")]
    [InlineData("lsd-gad.yaml")]
    public void Shipped_protocol_loads_without_errors(string file)
    {
        var result = ProtocolFiles.Load(file);

        Assert.True(result.Succeeded, string.Join(Environment.NewLine, result.Errors));
        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Psilocybin_protocol_has_the_designed_shape()
    {
        var protocol = ProtocolFiles.Load("psilocybin-mdd.yaml").Protocol!;

        Assert.Equal("PSI-MDD-01", protocol.Code);
        Assert.Equal("1.0", protocol.Version);
        Assert.Equal([("PSI", 1), ("PBO", 1)], protocol.Arms.Select(a => (a.Code, a.Ratio)));
        Assert.Equal([2, 4, 6], protocol.Randomization.BlockSizes);
        Assert.True(protocol.Randomization.StratifyBySite);
        var severity = Assert.Single(protocol.Randomization.Factors);
        Assert.Equal(new DerivedScoreSource("DEP9", "total"), severity.Source);
        Assert.Equal("moderately_severe", severity.LevelFor("moderately_severe")!.Code);
        Assert.Null(severity.LevelFor("severe"));
        Assert.Equal(["LON", "BOS"], protocol.Sites.Select(s => s.Code));
        Assert.Equal(2, protocol.Sites.Select(s => s.TimeZone).Distinct().Count());
        Assert.Equal(new EveryNthDay(3), protocol.Dosing.Pattern);
        Assert.Equal(42, protocol.Dosing.DurationDays);
        Assert.Equal(["SCR", "D0", "W1", "W2", "W3", "W4", "W5", "W6"], protocol.Visits.Select(v => v.Code));
        Assert.Equal([-14, 0, 7, 14, 21, 28, 35, 42], protocol.Visits.Select(v => v.Day));
        Assert.Equal(["W3", "W6"], protocol.Visits.Where(v => v.AssessesBlinding).Select(v => v.Code));
        Assert.Equal(["D0", "W3"], protocol.Visits.Where(v => v.DispensesKit).Select(v => v.Code));
        Assert.Equal(9, protocol.FindForm("DEP9")!.Fields.Count);
        Assert.Equal((0, 27), (protocol.FindForm("DEP9")!.Scores[0].Minimum, protocol.FindForm("DEP9")!.Scores[0].Maximum));
        Assert.Equal(7, protocol.FindForm("ANX7")!.Fields.Count);
        Assert.Equal(["DEP9", "ANX7", "VITALS"], protocol.FormsDueAt(protocol.ScreeningVisit).Select(f => f.Code));
        Assert.Equal(["AESI-PERC", "AESI-SI", "AESI-MANIA", "AESI-VALVE"], protocol.Safety.SpecialInterestEvents.Select(e => e.Code));
        Assert.Equal(ReportingAllowance.Hours(24), protocol.Safety.ReportingClocks.SiteToSponsor);
        Assert.Equal(ReportingAllowance.Days(7), protocol.Safety.ReportingClocks.FatalOrLifeThreateningSusar);
        Assert.Equal(ReportingAllowance.Days(15), protocol.Safety.ReportingClocks.OtherSusar);
        Assert.True(protocol.Safety.IsExpected("headache "));
        Assert.Equal([BlindingRespondent.Participant, BlindingRespondent.Investigator], protocol.BlindingAssessment.Respondents);
    }

    [Fact]
    public void Lsd_protocol_has_the_designed_shape()
    {
        var protocol = ProtocolFiles.Load("lsd-gad.yaml").Protocol!;

        Assert.Equal([("LSD", 2), ("PBO", 1)], protocol.Arms.Select(a => (a.Code, a.Ratio)));
        Assert.Equal([3, 6], protocol.Randomization.BlockSizes);
        var sex = Assert.Single(protocol.Randomization.Factors);
        Assert.Equal(new ParticipantAttributeSource(ParticipantAttributes.Sex), sex.Source);
        Assert.Equal(new OnOffCycle(4, 3), protocol.Dosing.Pattern);
        Assert.Equal(56, protocol.Dosing.DurationDays);
        Assert.Equal([("SCR", -14), ("W0", 0), ("W2", 14), ("W4", 28), ("W8", 56), ("FU12", 84)], protocol.Visits.Select(v => (v.Code, v.Day)));
        Assert.Equal(VisitKind.FollowUp, protocol.FindVisit("FU12")!.Kind);
        Assert.Equal(["W4", "W8"], protocol.BlindingAssessment.Visits);
        Assert.Equal([TrialRoles.Investigator], protocol.Safety.CodeBreakRoles);
        Assert.False(protocol.Eligibility.Find("EXC-HALLUCINOGEN")!.HardStop);
    }

    [Fact]
    public void Third_protocol_written_from_the_readme_loads_without_code_changes()
    {
        var result = ProtocolLoader.Load(ProtocolFiles.Sample("third-protocol.yaml"), "third-protocol.yaml");

        Assert.True(result.Succeeded, string.Join(Environment.NewLine, result.Errors));
        Assert.Equal(3, result.Protocol.Arms.Count);
        Assert.Equal([3, 6], result.Protocol.Randomization.BlockSizes);
        Assert.Empty(result.Protocol.Randomization.Factors);
    }

    [Fact]
    public void Readme_example_loads()
    {
        var readme = ProtocolFiles.FormatReadme();
        var start = readme.IndexOf("```yaml\n", StringComparison.Ordinal) + "```yaml\n".Length;
        var example = readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)];

        var result = ProtocolLoader.Load(example, "README.md");

        Assert.True(result.Succeeded, string.Join(Environment.NewLine, result.Errors));
    }
}
