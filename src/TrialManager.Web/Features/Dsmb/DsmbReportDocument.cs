using System.Globalization;
using TrialManager.Documents;
using TrialManager.Domain.Participants;

namespace TrialManager.Web.Features.Dsmb;

/// <summary>
/// Lays a DSMB report out as document blocks. The page renders the same blocks as HTML, so the screen and the PDF
/// cannot say different things. Pure: a report in, blocks out.
/// </summary>
public static class DsmbReportDocument
{
    public const string ClosedBanner = "CONFIDENTIAL - UNBLINDED";
    public const string OpenBanner = "OPEN REPORT - POOLED OVER ALL PARTICIPANTS";

    public static string Banner(DsmbReportKind kind) => kind == DsmbReportKind.Closed ? ClosedBanner : OpenBanner;

    public static string Title(DsmbReport report) =>
        $"DSMB {(report.Kind == DsmbReportKind.Closed ? "closed" : "open")} report: {report.TrialCode}";

    public static ReportDocument Build(DsmbReport report)
    {
        var closed = report.Kind == DsmbReportKind.Closed;
        var document = new ReportDocument(Title(report))
        {
            Subject = closed ? $"Closed (unblinded) DSMB report of {report.TrialCode}" : $"Open (pooled) DSMB report of {report.TrialCode}",
            Banner = Banner(report.Kind),
            Orientation = PageOrientation.Landscape,
        }
            .AddContext("Trial", report.TrialCode)
            .AddContext("Protocol version", report.ProtocolVersion)
            .AddContext("Data as of", Utc(report.AsOf))
            .AddContext("Report", closed ? "Closed: by arm" : "Open: pooled");
        document.Add([.. Body(report)]);
        return document;
    }

    public static IReadOnlyList<Block> Body(DsmbReport report) =>
        [.. About(report), .. Enrolment(report), .. Exposure(report), .. Safety(report), .. Scores(report), .. Disposition(report)];

    private static bool IsClosed(DsmbReport report) => report.Kind == DsmbReportKind.Closed;

    private static IEnumerable<Block> About(DsmbReport report)
    {
        yield return new Heading("About this report");
        yield return new Paragraph(IsClosed(report)
            ? "Closed report for the DSMB's closed session and the safety officer: every summary is by treatment arm. Do not share it with anyone blinded."
            : "Open report: every summary is pooled over all randomized participants. It names no treatment arm and splits no number by allocation.");
        yield return new Paragraph(
            $"Population: every randomized participant ({N(report.Randomized)}){(IsClosed(report) ? ", in the arm allocated at randomization" : "")}; " +
            $"{N(report.Consented)} participant(s) consented in all. Data as of {Utc(report.AsOf)}. Adverse events are counted from the current version " +
            "of each report. Derived scores come from completed forms only. Diary adherence is computed per participant to the site's today, " +
            "as on the participant page (a dose missing from the diary counts as not taken), then averaged.");

        var primary = report.Scores.FirstOrDefault(s => s.Primary);
        var secondary = report.Scores.Where(s => !s.Primary).Select(ScoreName).ToList();
        yield return new Paragraph(primary is null
            ? "The protocol defines no derived score, so this report has no outcome summaries."
            : $"Primary outcome: {ScoreName(primary)}, taken as the first score of the first form with derived scores in the protocol. " +
              $"Secondary outcomes: {(secondary.Count == 0 ? "none" : string.Join("; ", secondary))}. " +
              "Change from baseline uses the value at the randomization visit, or the latest screening value when none was recorded then.");

        if (IsClosed(report))
        {
            yield return new KeyValueList([.. report.Arms.Select(a => new KeyValueRow(a.Code, a.Ratio > 0 ? $"{a.BlindedLabel} (ratio {N(a.Ratio)})" : $"{a.BlindedLabel} (not an arm of the protocol in force)"))])
            {
                LabelWidth = 0.2,
            };
        }

        if (report.Unallocated > 0)
        {
            yield return new Paragraph($"{N(report.Unallocated)} randomized participant(s) have no allocation on the sealed list and are left out of this report; investigate before relying on it.", TextStyle.Bold);
        }

        if (!report.ListGenerated)
        {
            yield return new Paragraph("The randomization list has not been generated yet, so nobody is randomized and the summaries are empty.", TextStyle.Italic);
        }
        else if (report.Randomized == 0)
        {
            yield return new Paragraph("No participant has been randomized yet, so the summaries are empty.", TextStyle.Italic);
        }
    }

    private static IEnumerable<Block> Enrolment(DsmbReport report)
    {
        var enrolment = report.Enrolment;
        var by = IsClosed(report) ? "arm" : "site";
        yield return new Heading("Enrolment and randomization");
        if (enrolment.Months.Count == 0)
        {
            yield return new Paragraph("Nobody has consented yet.");
            yield break;
        }

        yield return new Table(
            [new TableColumn("Month (UTC)", 1), new TableColumn("Consented", 0.9, CellAlignment.Right), .. enrolment.Columns.Select(c => new TableColumn(c.Label, 1.3, CellAlignment.Right))],
            [.. enrolment.Months.Select(m => new TableRow([m.Month, N(m.Consented), .. m.Randomized.Select((n, i) => $"{N(n)} / {N(m.Cumulative[i])}")]))])
        {
            Title = $"Randomized by month and {by}: new / cumulative",
            Compact = true,
        };

        var last = enrolment.Months[^1].Cumulative;
        yield return IsClosed(report)
            ? new BarChart([.. enrolment.Columns.Take(enrolment.Columns.Count - 1).Select((c, i) => new BarChartItem(c.Label, last[i]))])
            {
                Title = "Randomized participants by arm",
                Unit = "participants",
            }
            : new BarChart([.. enrolment.Months.Select(m => new BarChartItem(m.Month, m.Cumulative[^1]))])
            {
                Title = "Randomized participants, cumulative by month",
                Unit = "participants",
            };
    }

    private static IEnumerable<Block> Exposure(DsmbReport report)
    {
        yield return new Heading("Exposure and adherence");
        var e = report.Exposure;
        yield return GroupTable(report, $"Study drug exposure and diary adherence{By(report)}", [
            Row("Randomized participants", e.Select(x => N(x.Randomized))),
            Row("Kits dispensed (including replacements)", e.Select(x => N(x.KitsDispensed))),
            Row("Kits per participant, mean", e.Select(x => x.Randomized == 0 ? "n/a" : Decimal((double)x.KitsDispensed / x.Randomized))),
            Row("Diary adherence, mean (participants with doses due)", e.Select(x => x.MeanAdherence is { } m ? $"{Percent(m)} ({N(x.WithAdherence)})" : "n/a")),
            Row($"Participants below {Percent(AdherenceResult.Threshold)} adherence", e.Select(x => N(x.BelowThreshold))),
            Row("Doses reported on non-dosing days", e.Select(x => N(x.ExtraDoses))),
        ]);
    }

    private static IEnumerable<Block> Safety(DsmbReport report)
    {
        yield return new Heading("Adverse events");
        var groups = report.Safety.Groups;
        var randomized = report.Exposure.Select(x => x.Randomized).ToList();
        string Share(int participants, int i) => randomized[i] == 0 ? N(participants) : $"{N(participants)} ({Percent((double)participants / randomized[i])})";
        yield return GroupTable(report, $"Adverse events{By(report)}; by grade: events (participants)", [
            Row("Participants with any adverse event", groups.Select((g, i) => Share(g.Any.Participants, i))),
            Row("Adverse events", groups.Select(g => N(g.Any.Events))),
            Row("Participants with a serious adverse event", groups.Select((g, i) => Share(g.Serious.Participants, i))),
            Row("Serious adverse events", groups.Select(g => N(g.Serious.Events))),
            .. Enumerable.Range(0, DsmbReport.Grades).Select(grade => Row($"CTCAE grade {N(grade + 1)}", groups.Select(g => Count(g.ByGrade[grade])))),
        ]);

        if (report.Safety.ByTerm.Count == 0)
        {
            yield return new Paragraph("No adverse event has been reported for a randomized participant.");
        }
        else
        {
            yield return GroupTable(report, $"Adverse events by term{(IsClosed(report) ? " and arm" : "")}: events (participants)", [.. report.Safety.ByTerm.Select(t => Row(t.Term, t.Groups.Select(Count)))], "Term");
        }

        yield return IsClosed(report)
            ? new BarChart([.. ArmColumns(report).SelectMany(x => new[]
            {
                new BarChartItem($"{x.Column.Label}: all events", groups[x.Index].Any.Events),
                new BarChartItem($"{x.Column.Label}: serious", groups[x.Index].Serious.Events),
            })])
            {
                Title = "Adverse events by arm",
                Unit = "events",
            }
            : new BarChart([.. Enumerable.Range(0, DsmbReport.Grades).Select(grade => new BarChartItem($"Grade {N(grade + 1)}", groups[0].ByGrade[grade].Events))])
            {
                Title = "Adverse events by CTCAE grade",
                Unit = "events",
            };
    }

    private static IEnumerable<Block> Scores(DsmbReport report)
    {
        yield return new Heading("Derived scores by visit");
        if (report.Scores.Count == 0)
        {
            yield return new Paragraph("The protocol defines no derived score.");
            yield break;
        }

        var closed = IsClosed(report);
        foreach (var score in report.Scores)
        {
            yield return new Heading($"{ScoreName(score)}: {(score.Primary ? "primary" : "secondary")} outcome", 2);
            // Visits where nobody has this score yet are left out: a column of "n/a" tells the board nothing.
            var observed = score.Visits.Where(v => v.Groups.Any(g => g.Value.N > 0)).ToList();
            if (observed.Count == 0)
            {
                yield return new Paragraph("No completed form has this score yet.");
                continue;
            }

            var rows = new List<TableRow>();
            foreach (var visit in observed)
            {
                for (var g = 0; g < report.Groups.Count; g++)
                {
                    var cell = visit.Groups[g];
                    var change = visit.PostBaseline
                        ? [N(cell.Change.N), Signed(cell.Change.Mean), Decimal(cell.Change.Sd)]
                        : new[] { "", "", "" };
                    string[] lead = closed ? [$"{visit.VisitCode} {visit.VisitName}", report.Groups[g].Label] : [$"{visit.VisitCode} {visit.VisitName}"];
                    rows.Add(new TableRow([.. lead, N(cell.Value.N), Decimal(cell.Value.Mean), Decimal(cell.Value.Sd), .. change])
                    {
                        Bold = closed && report.Groups[g].ArmCode is null,
                    });
                }
            }

            yield return new Table(
                [
                    new TableColumn("Visit", 1.6),
                    .. closed ? [new TableColumn("Arm", 1.8)] : Array.Empty<TableColumn>(),
                    new TableColumn("n", 0.5, CellAlignment.Right),
                    new TableColumn("Mean", 0.7, CellAlignment.Right),
                    new TableColumn("SD", 0.7, CellAlignment.Right),
                    new TableColumn("Change n", 0.7, CellAlignment.Right),
                    new TableColumn("Mean change", 0.9, CellAlignment.Right),
                    new TableColumn("SD of change", 0.9, CellAlignment.Right),
                ],
                rows)
            {
                Title = $"{score.Label} by {(closed ? "arm and " : "")}visit (change from baseline after randomization; visits without data left out)",
                Compact = true,
            };

            if (score.Primary && Means(report, score) is { Count: > 0 } means && means.All(m => m.Value >= 0))
            {
                yield return new BarChart(means) { Title = $"{score.Label}: mean by visit{(closed ? " and arm" : "")}" };
            }
        }
    }

    /// <summary>Bars for the visits and groups with a mean; the closed report's total column is left out so arms stand side by side.</summary>
    private static List<BarChartItem> Means(DsmbReport report, DsmbScoreSummary score) =>
        [.. score.Visits.SelectMany(v => (IsClosed(report) ? ArmColumns(report) : [(report.Groups[0], 0)])
            .Where(x => v.Groups[x.Index].Value.Mean is not null)
            .Select(x => new BarChartItem(
                IsClosed(report) ? $"{v.VisitCode} {x.Column.Label}" : $"{v.VisitCode} {v.VisitName}",
                v.Groups[x.Index].Value.Mean!.Value,
                Decimal(v.Groups[x.Index].Value.Mean))))];

    private static IEnumerable<Block> Disposition(DsmbReport report)
    {
        yield return new Heading("Withdrawals and discontinuations");
        var d = report.Disposition;
        yield return GroupTable(report, $"Disposition{By(report)}", [
            Row("Randomized", d.Select(x => N(x.Randomized))),
            Row("Study drug discontinued", d.Select(x => N(x.DrugDiscontinued))),
            Row("Withdrawn from the trial", d.Select(x => N(x.Withdrawn))),
            Row("  of whom: consent withdrawn", d.Select(x => N(x.ConsentWithdrawn))),
            Row("  of whom: lost to follow-up", d.Select(x => N(x.LostToFollowUp))),
        ]);
    }

    private static IEnumerable<(DsmbColumn Column, int Index)> ArmColumns(DsmbReport report) =>
        report.Groups.Select((c, i) => (c, i)).Where(x => x.c.ArmCode is not null);

    private static string By(DsmbReport report) => IsClosed(report) ? " by arm" : "";

    private static Table GroupTable(DsmbReport report, string title, IReadOnlyList<TableRow> rows, string first = "") =>
        new([new TableColumn(first, 2.6), .. report.Groups.Select(g => new TableColumn(g.Label, 1.4, CellAlignment.Right))], rows)
        {
            Title = title,
            Compact = true,
        };

    private static TableRow Row(string label, IEnumerable<string> values) => new([label, .. values]);

    private static string ScoreName(DsmbScoreSummary score) => $"{score.Label} ({score.FormCode}.{score.ScoreCode})";

    private static string Count(DsmbCount count) => $"{N(count.Events)} ({N(count.Participants)})";

    private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Decimal(double? value) => value is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) : "n/a";

    private static string Signed(double? value) => value is { } v ? v.ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) : "n/a";

    private static string Percent(double rate) => Math.Round(rate * 100, MidpointRounding.AwayFromZero).ToString("0", CultureInfo.InvariantCulture) + " %";

    private static string Utc(DateTimeOffset instant) => Features.Documents.DocumentSections.Utc(instant);
}
