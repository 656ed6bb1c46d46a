using TrialManager.Documents;
using TrialManager.Domain.Protocols;
using TrialManager.Web.Features.Dsmb;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Dsmb;

/// <summary>
/// The report computation on hand-made data (no app, no database): every number below is worked out by hand, so the
/// arithmetic (means, sample SDs, change from baseline, cumulative months, adherence) is checked on its own.
/// </summary>
public class DsmbComputationTests
{
    private static readonly Protocol Protocol = ProtocolLoader.Load(RandomizationTrial.ProtocolText("DSMB-UNIT", 10, 12), "unit.yaml").Protocol!;
    private static readonly Guid A1 = Guid.NewGuid(), A2 = Guid.NewGuid(), C1 = Guid.NewGuid(), Unallocated = Guid.NewGuid(), NotRandomized = Guid.NewGuid();

    private static DsmbParticipant Participant(Guid id, string site, DateOnly consented, DateTimeOffset? randomized, int? studyDay = null, Dictionary<int, bool>? diary = null, int kits = 1) =>
        new(id, site, consented, randomized, studyDay, Protocol.Dosing, diary ?? [], randomized is null ? 0 : kits, null, null, false, false);

    private static DsmbData Data() => new(
        "DSMB-UNIT",
        "Unit trial",
        "1.0",
        new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero),
        ListGenerated: true,
        ["LON", "BOS"],
        Protocol.Visits,
        Protocol.Forms,
        [
            // Day 7 of "every third day from day 1": doses due on days 1, 4 and 7; day 5 is an extra dose.
            Participant(A1, "LON", new(2026, 8, 3), new DateTimeOffset(2026, 8, 20, 10, 0, 0, TimeSpan.Zero), 7, new() { [1] = true, [4] = true, [5] = true }, kits: 2),
            Participant(A2, "BOS", new(2026, 8, 4), new DateTimeOffset(2026, 10, 2, 10, 0, 0, TimeSpan.Zero), 7, new() { [1] = true, [4] = true, [7] = true }),
            Participant(C1, "LON", new(2026, 10, 1), new DateTimeOffset(2026, 10, 5, 10, 0, 0, TimeSpan.Zero), 0) with { WithdrawnOn = new(2026, 11, 1), LostToFollowUp = true },
            Participant(Unallocated, "LON", new(2026, 10, 1), new DateTimeOffset(2026, 10, 6, 10, 0, 0, TimeSpan.Zero), 0),
            Participant(NotRandomized, "BOS", new(2026, 10, 9), null),
        ],
        [
            new(A1, "Headache", 1, false),
            new(A1, " headache", 2, false),
            new(C1, "Seizure", 3, true),
            new(NotRandomized, "Nausea", 1, false),
        ],
        [
            new(A1, "D0", "DEP9", "total", 15),
            new(A1, "W1", "DEP9", "total", 10),
            new(A2, "SCR", "DEP9", "total", 13),
            new(A2, "W1", "DEP9", "total", 12),
            new(C1, "D0", "DEP9", "total", 14),
            new(C1, "W1", "DEP9", "total", 14),
        ]);

    private static DsmbReport Closed() => DsmbReports.Closed(
        Data(),
        Protocol.Arms,
        new Dictionary<Guid, string> { [A1] = RandomizationTrial.ActiveCode, [A2] = RandomizationTrial.ActiveCode, [C1] = RandomizationTrial.ControlCode });

    [Fact]
    public void The_closed_report_counts_by_arm_with_a_total_and_reports_a_missing_allocation()
    {
        var report = Closed();

        Assert.Equal([RandomizationTrial.ActiveLabel, RandomizationTrial.ControlLabel, DsmbReports.TotalLabel], report.Groups.Select(g => g.Label));
        Assert.Equal([2, 1, 3], report.Disposition.Select(d => d.Randomized));
        Assert.Equal([0, 1, 1], report.Disposition.Select(d => d.Withdrawn));
        Assert.Equal([0, 1, 1], report.Disposition.Select(d => d.LostToFollowUp));
        Assert.Equal(1, report.Unallocated);
        Assert.Equal(5, report.Consented);
        Assert.Equal([3, 1, 4], report.Exposure.Select(e => e.KitsDispensed));

        Assert.Equal([new DsmbCount(2, 1), new DsmbCount(1, 1), new DsmbCount(3, 2)], report.Safety.Groups.Select(g => g.Any));
        Assert.Equal([new DsmbCount(0, 0), new DsmbCount(1, 1), new DsmbCount(1, 1)], report.Safety.Groups.Select(g => g.Serious));
        Assert.Equal(new DsmbCount(1, 1), report.Safety.Groups[1].ByGrade[2]);
        var headache = Assert.Single(report.Safety.ByTerm, t => t.Term == "Headache");
        Assert.Equal([new DsmbCount(2, 1), new DsmbCount(0, 0), new DsmbCount(2, 1)], headache.Groups);
        Assert.DoesNotContain(report.Safety.ByTerm, t => t.Term == "Nausea");
    }

    [Fact]
    public void Adherence_is_the_diary_adherence_of_each_participant_averaged()
    {
        var active = Closed().Exposure[0];

        // A1: 2 of 3 doses due (day 5 is extra); A2: 3 of 3.
        Assert.Equal(2, active.WithAdherence);
        Assert.Equal((2.0 / 3 + 1) / 2, active.MeanAdherence!.Value, 6);
        Assert.Equal(1, active.BelowThreshold);
        Assert.Equal(1, active.ExtraDoses);
    }

    [Fact]
    public void Scores_give_n_mean_sd_and_change_from_baseline_with_screening_as_the_fallback_baseline()
    {
        var report = Closed();

        var primary = report.Scores[0];
        Assert.True(primary.Primary);
        Assert.Equal(("DEP9", "total"), (primary.FormCode, primary.ScoreCode));
        Assert.All(report.Scores.Skip(1), s => Assert.False(s.Primary));
        Assert.Contains(report.Scores, s => s.FormCode == "ANX7");

        var w1 = primary.Visits.Single(v => v.VisitCode == "W1");
        Assert.True(w1.PostBaseline);
        // Active: W1 values 10 and 12; changes 10-15 = -5 and 12-13 = -1 (A2's baseline from screening).
        Assert.Equal(new DsmbStats(2, 11, Math.Sqrt(2)), w1.Groups[0].Value);
        Assert.Equal(2, w1.Groups[0].Change.N);
        Assert.Equal(-3, w1.Groups[0].Change.Mean!.Value, 6);
        Assert.Equal(Math.Sqrt(8), w1.Groups[0].Change.Sd!.Value, 6);
        Assert.Equal(new DsmbStats(1, 0, null), w1.Groups[1].Change);
        Assert.Equal(3, w1.Groups[2].Value.N);

        var d0 = primary.Visits.Single(v => v.VisitCode == "D0");
        Assert.False(d0.PostBaseline);
        Assert.Equal(0, d0.Groups[2].Change.N);
    }

    [Fact]
    public void Enrolment_runs_month_by_month_without_gaps_with_cumulative_counts()
    {
        var closed = Closed().Enrolment;
        Assert.Equal(["2026-08", "2026-09", "2026-10"], closed.Months.Select(m => m.Month));
        Assert.Equal([2, 0, 3], closed.Months.Select(m => m.Consented));
        Assert.Equal([1, 0, 1], closed.Months[0].Randomized);
        Assert.Equal([2, 1, 3], closed.Months[^1].Cumulative);

        var open = DsmbReports.Open(Data()).Enrolment;
        Assert.Equal(["LON", "BOS", DsmbReports.TotalLabel], open.Columns.Select(c => c.Label));
        Assert.Equal([3, 1, 4], open.Months[^1].Cumulative);
    }

    [Fact]
    public void The_open_report_has_one_pooled_column_and_no_arm()
    {
        var open = DsmbReports.Open(Data());

        Assert.Equal(DsmbReportKind.Open, open.Kind);
        Assert.Empty(open.Arms);
        var group = Assert.Single(open.Groups);
        Assert.Null(group.ArmCode);
        Assert.Equal(4, open.Randomized);
        Assert.Equal(new DsmbCount(3, 2), Assert.Single(open.Safety.Groups).Any);
        Assert.All(open.Scores.SelectMany(s => s.Visits), v => Assert.Single(v.Groups));

        var text = string.Join("\n", DsmbReportDocument.Body(open).SelectMany(Texts));
        foreach (var secret in RandomizationTrial.ArmSecrets)
        {
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void Empty_data_gives_valid_documents()
    {
        var empty = Data() with { ListGenerated = false, Participants = [], Events = [], Scores = [] };
        foreach (var report in new[] { DsmbReports.Closed(empty, Protocol.Arms, new Dictionary<Guid, string>()), DsmbReports.Open(empty) })
        {
            Assert.Equal(0, report.Randomized);
            var document = DsmbReportDocument.Build(report);
            var pdf = PdfRenderer.Render(document, new RenderOptions("DSMB-TEST", report.AsOf, "0"));
            Assert.True(pdf.PageCount >= 1);
            Assert.Contains("has not been generated", string.Join("\n", document.Blocks.SelectMany(Texts)), StringComparison.Ordinal);
        }
    }

    /// <summary>Every string a block prints.</summary>
    public static IEnumerable<string> Texts(Block block) => block switch
    {
        Heading h => [h.Text],
        Paragraph p => p.Runs.Select(r => r.Text),
        KeyValueList l => l.Rows.SelectMany(r => new[] { r.Label, r.Value ?? "" }),
        Table t => [t.Title ?? "", .. t.Columns.Select(c => c.Header), .. t.Rows.SelectMany(r => r.Cells.Select(c => c ?? ""))],
        BarChart c => [c.Title ?? "", .. c.Items.SelectMany(i => new[] { i.Label, i.DisplayValue ?? "" })],
        KeepTogether k => k.Blocks.SelectMany(Texts),
        _ => [],
    };
}
