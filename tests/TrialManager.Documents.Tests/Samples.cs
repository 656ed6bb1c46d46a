using System.Globalization;

namespace TrialManager.Documents.Tests;

/// <summary>Documents shaped like the ones the layer is for, used by several tests and kept as sample PNGs.</summary>
internal static class Samples
{
    public const string Hash64 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    public static readonly RenderOptions Options =
        new("TM-DOC-0001", new DateTimeOffset(2026, 11, 20, 14, 5, 9, TimeSpan.Zero), "0.1.0-test");

    public static ReportDocument Visit()
    {
        var doc = new ReportDocument("Visit case report form: Week 4")
        {
            Subject = "Visit case report form",
        };
        doc.AddContext("Trial", "PSY-001 Psilocybin for depression")
            .AddContext("Site", "LON London")
            .AddContext("Participant", "LON-0042")
            .AddContext("Visit", "Week 4 (2026-11-18)");
        doc.Add(
            new Heading("Vital signs"),
            new Paragraph(
                new TextRun("Measured seated after five minutes of rest. "),
                new TextRun("Values outside the normal range ", TextStyle.Bold),
                new TextRun("raise a query automatically and are listed below with their status.", TextStyle.Italic)),
            new KeyValueList(
                new KeyValueRow("Systolic blood pressure", "128 mmHg"),
                new KeyValueRow("Diastolic blood pressure", "84 mmHg"),
                new KeyValueRow("Comment", "Participant reported mild headache the evening before the visit; resolved without medication by the morning.")),
            new Heading("Depression rating", 2),
            new Table(
                [new TableColumn("Item", 3), new TableColumn("Score", 1, CellAlignment.Right), new TableColumn("Note", 2)],
                [
                    new TableRow("Reported sadness", "3", null),
                    new TableRow("Inner tension", "2", "Improved since baseline"),
                    new TableRow("Total (derived)", "5", "MADRS partial") { Bold = true },
                ]),
            new ChoiceField("Adverse event since last visit?", [new Choice("Yes", true), new Choice("No")], "AE.ANY"),
            new CheckBox("Concomitant medication reviewed", true),
            new CheckBox("Pregnancy test required", false),
            new SignatureBlock(new SignatureDetails("Dr Ada Lovelace", new DateTimeOffset(2026, 11, 19, 9, 30, 0, TimeSpan.Zero), "Investigator approval of the data")
            {
                Note = "Signature bound to content SHA-256 " + Hash64,
            }));
        return doc;
    }

    public static ReportDocument BlankCrf()
    {
        var doc = new ReportDocument("Blank CRF book") { Subject = "Blank case report forms" };
        doc.AddContext("Trial", "PSY-001").AddContext("Protocol version", "3.1");
        doc.Add(
            new Heading("Form: Vital signs (VS)"),
            new EntryField("Systolic blood pressure", "VS.SYSBP", "mmHg"),
            new EntryField("Date of measurement", "VS.DTC", "yyyy-mm-dd"),
            new EntryField("Comment", "VS.COMMENT", null, 3),
            new ChoiceField("Position", [new Choice("Sitting"), new Choice("Standing"), new Choice("Lying")], "VS.POS"),
            new ChoiceField("Symptoms (tick all that apply)",
                [new Choice("Headache"), new Choice("Nausea"), new Choice("Dizziness"), new Choice("Fatigue"), new Choice("Palpitations"), new Choice("Other, specify in the comment field of this form")],
                "VS.SYMPT"),
            new ChoiceField("Vertical list", [new Choice("First"), new Choice("Second")], "VS.VERT") { Vertical = true },
            new SignatureBlock(null, "Investigator signature"));
        return doc;
    }

    public static ReportDocument Sae()
    {
        var doc = new ReportDocument("Serious adverse event report") { Subject = "SAE report (CIOMS-I layout)" };
        doc.AddContext("Trial", "PSY-001").AddContext("Participant", "LON-0042").AddContext("Event", "SAE-0007");
        doc.Add(
            new FieldGrid(
                new FieldGridRow(
                    new FieldGridCell("1. Patient initials", "A.B."),
                    new FieldGridCell("1a. Country", "United Kingdom"),
                    new FieldGridCell("2. Date of birth", "1980-04-02"),
                    new FieldGridCell("3. Sex", "F", 0.6),
                    new FieldGridCell("4-6. Reaction onset", "2026-11-12", 1.2)),
                new FieldGridRow(
                    new FieldGridCell("7+13. Describe reaction(s) (including relevant tests/lab data)",
                        "Admitted to hospital with acute confusion two days after dosing session; recovered fully after 48 hours of observation.", 3),
                    new FieldGridCell("8-12. Check all appropriate to adverse reaction", null, 2)
                    {
                        Choices = [new Choice("Patient died"), new Choice("Involved or prolonged inpatient hospitalisation", true), new Choice("Life threatening")],
                        FieldCode = "SAE.CRIT",
                    }))
            {
                Title = "I. REACTION INFORMATION",
            },
            new FieldGrid(
                new FieldGridRow(
                    new FieldGridCell("14. Suspect drug(s)", null, 2) { Lines = 2 },
                    new FieldGridCell("15. Daily dose(s)") { Lines = 2 }))
            {
                Title = "II. SUSPECT DRUG(S) INFORMATION",
            });
        return doc;
    }

    public static ReportDocument Dsmb()
    {
        var doc = new ReportDocument("DSMB report: interim safety review 2")
        {
            Subject = "Data and safety monitoring board report",
            Banner = "CONFIDENTIAL - UNBLINDED",
            Orientation = PageOrientation.Landscape,
        };
        doc.AddContext("Trial", "PSY-001").AddContext("Data cut", "2026-11-01");
        doc.Add(
            new Heading("Serious adverse events by arm"),
            new BarChart(
                new BarChartItem("Psilocybin 25 mg", 7),
                new BarChartItem("Placebo", 3),
                new BarChartItem("An arm with a long name that wraps over more than one line in the label column", 0.5, "0.5 (rate)"))
            {
                Title = "SAEs per arm",
                Unit = "events",
            },
            new Table(
                [new TableColumn("Arm"), new TableColumn("Participants", 1, CellAlignment.Right), new TableColumn("SAEs", 1, CellAlignment.Right)],
                [new TableRow("Psilocybin 25 mg", "40", "7"), new TableRow("Placebo", "41", "3"), new TableRow("Total", "81", "10") { Bold = true }])
            {
                Title = "Table 1. Exposure and SAEs",
            },
            new PageBreak(),
            new Heading("Listing"),
            AuditTable(120));
        return doc;
    }

    public static Table AuditTable(int rows)
    {
        var list = new List<TableRow>();
        for (var i = 1; i <= rows; i++)
        {
            list.Add(new TableRow(
                string.Create(CultureInfo.InvariantCulture, $"2026-11-{1 + (i % 28):00} 10:{i % 60:00}:00"),
                string.Create(CultureInfo.InvariantCulture, $"user{i % 7}@site.example"),
                string.Create(CultureInfo.InvariantCulture, $"ROW{i:0000}"),
                i % 9 == 0 ? "Value changed from 120 to 128 after source data verification; reason: transcription error noted by monitor" : "Saved"));
        }
        return new Table(
            [new TableColumn("Audit time (UTC)", 1.3), new TableColumn("Changed by", 1.4), new TableColumn("Record", 0.8), new TableColumn("Change", 3)],
            list)
        {
            Compact = true,
        };
    }
}
