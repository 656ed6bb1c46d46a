using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using TrialManager.Documents.Layout;
using Xunit.Abstractions;

namespace TrialManager.Documents.Tests;

public partial class RenderingTests(ITestOutputHelper output)
{
    private static RenderedPdf Render(ReportDocument doc) => PdfRenderer.Render(doc, Samples.Options);

    private static string Squash(string text) => WhiteSpace().Replace(text, "");

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();

    [GeneratedRegex(@"Page (\d+) of (\d+)")]
    private static partial Regex PageLabel();

    [Fact]
    public void Text_of_every_block_type_round_trips()
    {
        var visit = Render(Samples.Visit());
        Poppler.SavePngs(visit.Bytes, "visit-crf");
        var text = Poppler.Text(visit.Bytes);
        foreach (var expected in new[]
        {
            "Visit case report form: Week 4", "PSY-001 Psilocybin for", "depression", "LON-0042", "Week 4 (2026-11-18)",
            "Vital signs", "Depression rating", "Systolic blood pressure", "128 mmHg", "Reported sadness",
            "Improved since baseline", "Total (derived)", "Adverse event since last visit?", "[AE.ANY]",
            "Concomitant medication reviewed", "Dr Ada Lovelace", "2026-11-19 09:30:00 UTC", "Investigator approval of the data",
        })
        {
            Assert.Contains(expected, text, StringComparison.Ordinal);
        }
        // Every word of the wrapped paragraph and key-value comment, in order.
        var flat = Squash(text);
        Assert.Contains(Squash("Measured seated after five minutes of rest. Values outside the normal range raise a query automatically and are listed below with their status."), flat, StringComparison.Ordinal);
        Assert.Contains(Squash("Participant reported mild headache the evening before the visit; resolved without medication by the morning."), flat, StringComparison.Ordinal);

        var crf = Render(Samples.BlankCrf());
        Poppler.SavePngs(crf.Bytes, "blank-crf");
        var crfText = Poppler.Text(crf.Bytes);
        foreach (var expected in new[] { "Systolic blood pressure", "[VS.SYSBP]", "mmHg", "yyyy-mm-dd", "[VS.COMMENT]", "Sitting", "Standing", "Lying", "Palpitations", "[VS.SYMPT]", "Investigator signature", "Not signed" })
        {
            Assert.Contains(expected, crfText, StringComparison.Ordinal);
        }

        var sae = Render(Samples.Sae());
        Poppler.SavePngs(sae.Bytes, "sae-report");
        var saeText = Poppler.Text(sae.Bytes);
        foreach (var expected in new[] { "I. REACTION INFORMATION", "1a. Country", "United Kingdom", "Involved or prolonged inpatient", "[SAE.CRIT]", "14. Suspect drug(s)", "II. SUSPECT DRUG(S) INFORMATION" })
        {
            Assert.Contains(expected, saeText, StringComparison.Ordinal);
        }
        Assert.Contains(Squash("recovered fully after 48 hours of observation."), Squash(saeText), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_page_says_page_x_of_y_with_the_real_page_count()
    {
        var doc = Samples.Visit();
        doc.Add(Samples.AuditTable(150));
        var pdf = Render(doc);
        var pages = Poppler.Pages(pdf.Bytes);
        Assert.True(pdf.PageCount >= 3, $"expected several pages, got {pdf.PageCount}");
        Assert.Equal(pdf.PageCount, pages.Length);
        Assert.Equal(pdf.PageCount.ToString(CultureInfo.InvariantCulture), Poppler.Info(pdf.Bytes)["Pages"]);
        for (var i = 0; i < pages.Length; i++)
        {
            var labels = PageLabel().Matches(pages[i]);
            Assert.Single(labels);
            Assert.Equal((i + 1).ToString(CultureInfo.InvariantCulture), labels[0].Groups[1].Value);
            Assert.Equal(pages.Length.ToString(CultureInfo.InvariantCulture), labels[0].Groups[2].Value);
            Assert.Contains("Generated 2026-11-20 14:05:09 UTC", pages[i], StringComparison.Ordinal);
            Assert.Contains("TM-DOC-0001", pages[i], StringComparison.Ordinal);
            Assert.Contains("Content SHA-256 " + pdf.ContentHashPrefix, pages[i], StringComparison.Ordinal);
            Assert.Contains("TrialManager 0.1.0-test", pages[i], StringComparison.Ordinal);
            // The header with its context repeats on every page.
            Assert.Contains("Visit case report form: Week 4", pages[i], StringComparison.Ordinal);
            Assert.Contains("LON-0042", pages[i], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_long_table_repeats_its_header_row_on_every_page_and_keeps_every_row_once()
    {
        var doc = new ReportDocument("Participant casebook");
        doc.AddContext("Participant", "LON-0042");
        doc.Add(new Heading("Audit trail"), Samples.AuditTable(200));
        var pdf = Render(doc);
        Poppler.SavePngs(pdf.Bytes, "audit-trail");
        var pages = Poppler.Pages(pdf.Bytes);
        Assert.True(pages.Length >= 4, $"200 rows should span several pages, got {pages.Length}");
        var next = 1;
        foreach (var page in pages)
        {
            Assert.Equal(1, Count(page, "Audit time (UTC)"));
            Assert.Equal(1, Count(page, "Changed by"));
            // Rows continue in order across pages, none lost or repeated.
            foreach (Match m in RecordId().Matches(page))
            {
                Assert.Equal(next, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
                next++;
            }
        }
        Assert.Equal(201, next);
    }

    [GeneratedRegex(@"ROW(\d{4})")]
    private static partial Regex RecordId();

    private static int Count(string text, string what)
    {
        var count = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }

    [Fact]
    public void The_banner_is_on_every_page_and_landscape_pages_are_landscape()
    {
        var pdf = Render(Samples.Dsmb());
        Poppler.SavePngs(pdf.Bytes, "dsmb-report");
        var pages = Poppler.Pages(pdf.Bytes);
        Assert.True(pages.Length >= 3);
        Assert.All(pages, p => Assert.Contains("CONFIDENTIAL - UNBLINDED", p, StringComparison.Ordinal));
        var text = string.Join("\n", pages);
        foreach (var expected in new[] { "SAEs per arm", "Psilocybin 25 mg", "7 events", "0.5 (rate)", "Full bar = 7 events", "Table 1. Exposure and SAEs" })
        {
            Assert.Contains(expected, text, StringComparison.Ordinal);
        }
        Assert.StartsWith("841.89 x 595.276 pts", Poppler.Info(pdf.Bytes)["Page size"], StringComparison.Ordinal);
        // The page break put the listing on a page of its own.
        Assert.DoesNotContain("Listing", pages[0], StringComparison.Ordinal);
        Assert.Contains("Listing", pages[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Signature_blocks_show_the_manifestation_or_not_signed()
    {
        var signedAt = new DateTimeOffset(2026, 11, 19, 11, 30, 0, TimeSpan.FromHours(2));
        var doc = new ReportDocument("Signatures");
        doc.Add(
            new SignatureBlock(new SignatureDetails("Grace Hopper", signedAt, "Data manager review")),
            new SignatureBlock(null, "Principal investigator signature"));
        var text = Poppler.Text(Render(doc).Bytes);
        Assert.Contains("Signed by: Grace Hopper", text, StringComparison.Ordinal);
        // Shown in UTC whatever offset the caller used.
        Assert.Contains("Date and time: 2026-11-19 09:30:00 UTC", text, StringComparison.Ordinal);
        Assert.Contains("Meaning: Data manager review", text, StringComparison.Ordinal);
        Assert.Contains("Principal investigator signature", text, StringComparison.Ordinal);
        Assert.Contains("Not signed", text, StringComparison.Ordinal);
        Assert.Equal(1, Count(text, "Not signed"));
    }

    [Fact]
    public void Checked_and_unchecked_boxes_differ_in_text_and_in_pixels()
    {
        static ReportDocument Box(bool isChecked) => new ReportDocument("Boxes").Add(new CheckBox("Informed consent signed", isChecked));
        var on = Render(Box(true));
        var off = Render(Box(false));
        Assert.Matches(@"X\s+Informed consent signed", Poppler.Text(on.Bytes));
        Assert.DoesNotMatch(@"X\s+Informed consent signed", Poppler.Text(off.Bytes));
        Assert.NotEqual(on.ContentHash, off.ContentHash);

        // Same layout, so the only pixel difference is the mark inside the box: the checked page has more ink.
        var onPixels = Poppler.Render(on.Bytes, 100)[0];
        var offPixels = Poppler.Render(off.Bytes, 100)[0];
        var inkOn = onPixels.InkedPixels(0, 0, onPixels.Width, onPixels.Height);
        var inkOff = offPixels.InkedPixels(0, 0, offPixels.Width, offPixels.Height);
        Assert.True(inkOn > inkOff + 10, $"checked {inkOn} vs unchecked {inkOff} inked pixels");

        // The mark is inside the box: both renders have a box outline, the checked one is filled in the middle.
        var layout = PdfRenderer.Lay(Box(true), Samples.Options, new string('0', 64));
        var scale = 100 / 72.0;
        var top = layout.Frame.BodyTop + layout.Pages[0][0].Top;
        var x0 = (int)(layout.Frame.Left * scale);
        var y0 = (int)(top * scale);
        var boxSide = (int)(Typography.Body * 0.9 * scale);
        var centreOn = onPixels.InkedPixels(x0 + 3, y0 + 4, x0 + boxSide - 1, y0 + boxSide + 2);
        var centreOff = offPixels.InkedPixels(x0 + 3, y0 + 4, x0 + boxSide - 1, y0 + boxSide + 2);
        Assert.True(centreOn > centreOff, $"box centre ink: checked {centreOn}, unchecked {centreOff}");
    }

    [Fact]
    public void Long_unbroken_words_are_broken_not_cut()
    {
        var word = string.Concat(Enumerable.Repeat(Samples.Hash64, 3));
        const string Path = "/srv/trialmanager/exports/participants/LON-0042/visits/week-4/forms/vital-signs/attachments/ecg-tracing-original-scan.pdf";
        // One document per place a long word can sit, so pdftotext's column interleaving cannot hide a loss.
        var cases = new (string Name, ReportDocument Doc, string Expected)[]
        {
            ("title", new ReportDocument("Hashes " + word), word),
            ("context", new ReportDocument("Context").AddContext("Hash", word), word),
            ("paragraph", new ReportDocument("Paragraph").Add(new Paragraph(word)), word),
            ("path", new ReportDocument("Path").Add(new Paragraph(Path)), Path),
            ("key-value", new ReportDocument("Key value").Add(new KeyValueList(new KeyValueRow("SHA", word))), word),
            ("table", new ReportDocument("Table").Add(new Table([new TableColumn("Hash")], [new TableRow(word)])), word),
            ("narrow-column", new ReportDocument("Narrow").Add(new Table([new TableColumn("H", 0.3), new TableColumn("Wide", 5)], [new TableRow(Samples.Hash64, "")])), Samples.Hash64),
            ("grid", new ReportDocument("Grid").Add(new FieldGrid(new FieldGridRow(new FieldGridCell("Hash", word)))), word),
            ("banner", new ReportDocument("Banner") { Banner = word }, word),
        };
        foreach (var (name, doc, expected) in cases)
        {
            var pdf = Render(doc);
            var flat = Squash(Poppler.Text(pdf.Bytes));
            Assert.True(flat.Contains(expected, StringComparison.Ordinal), $"{name}: {expected} not found in {flat}");
            AssertNothingOutsideFrame(pdf.Bytes);
        }
        var sample = new ReportDocument("Hashes " + Samples.Hash64).AddContext("Hash", Samples.Hash64);
        sample.Add(
            new Paragraph(word),
            new KeyValueList(new KeyValueRow("Content SHA-256", Samples.Hash64)),
            new Table([new TableColumn("Id", 0.5), new TableColumn("Hash", 0.5)], [new TableRow(Samples.Hash64, word)]),
            new Paragraph(Path));
        Poppler.SavePngs(Render(sample).Bytes, "long-words");
    }

    [Fact]
    public void Pdf_metadata_names_title_author_subject_and_creator()
    {
        var pdf = Render(Samples.Visit());
        var info = Poppler.Info(pdf.Bytes);
        Assert.Equal("Visit case report form: Week 4", info["Title"]);
        Assert.Equal("TrialManager", info["Author"]);
        Assert.Equal("Visit case report form", info["Subject"]);
        Assert.Equal("TrialManager 0.1.0-test", info["Creator"]);
        Assert.Equal(pdf.PageCount.ToString(CultureInfo.InvariantCulture), info["Pages"]);
        Assert.Contains(pdf.ContentHash, info["Keywords"], StringComparison.Ordinal);
        Assert.StartsWith("595.276 x 841.89 pts (A4)", info["Page size"], StringComparison.Ordinal);
    }

    [Fact]
    public void All_fonts_are_embedded_dejavu()
    {
        var doc = Samples.Visit();
        doc.Add(new Paragraph(new TextRun("bold italic ", TextStyle.BoldItalic), new TextRun("mono", TextStyle.Mono)));
        var fonts = Poppler.Fonts(Render(doc).Bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(2).ToList();
        Assert.True(fonts.Count >= 4, string.Join("\n", fonts));
        foreach (var line in fonts)
        {
            Assert.Contains("DejaVu", line, StringComparison.Ordinal);
            // Columns: name type encoding emb sub uni object-id; the name has no spaces before the "+".
            var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("yes", columns[^5]);
        }
    }

    [Fact]
    public void Content_hash_follows_content_only()
    {
        var a = Samples.Visit();
        var b = Samples.Visit();
        Assert.Equal(a.ComputeContentHash(), b.ComputeContentHash());
        Assert.Matches("^[0-9a-f]{64}$", a.ComputeContentHash());

        // Generation time, document id, version and orientation are not content.
        var first = PdfRenderer.Render(a, Samples.Options);
        b.Orientation = PageOrientation.Landscape;
        var second = PdfRenderer.Render(b, new RenderOptions("OTHER-ID", DateTimeOffset.UnixEpoch, "9.9.9"));
        Assert.Equal(first.ContentHash, second.ContentHash);
        Assert.Equal(a.ComputeContentHash(), first.ContentHash);

        // Any change of what the document says changes the hash.
        var changedCell = Samples.Visit();
        var table = changedCell.Blocks.OfType<Table>().Single();
        changedCell.Blocks[changedCell.Blocks.IndexOf(table)] = table with { Rows = [.. table.Rows.Take(2), new TableRow("Total (derived)", "6", "MADRS partial") { Bold = true }] };
        var changedContext = Samples.Visit();
        changedContext.Context[2] = new ContextItem("Participant", "LON-0043");
        var changedBox = Samples.Visit();
        var box = changedBox.Blocks.OfType<CheckBox>().First();
        changedBox.Blocks[changedBox.Blocks.IndexOf(box)] = box with { Checked = false };
        var hashes = new[] { a, changedCell, changedContext, changedBox }.Select(d => d.ComputeContentHash()).ToList();
        Assert.Equal(hashes.Count, hashes.Distinct().Count());

        // Length-prefixed fields: moving text between neighbouring fields is a different document.
        var left = new ReportDocument("T").Add(new KeyValueList(new KeyValueRow("ab", "c")));
        var right = new ReportDocument("T").Add(new KeyValueList(new KeyValueRow("a", "bc")));
        Assert.NotEqual(left.ComputeContentHash(), right.ComputeContentHash());

        // Unicode normalization and line ends do not matter; a keep-together wrapper does not either.
        var composed = new ReportDocument("T").Add(new Paragraph("Caf\u00e9\r\nline"));
        var decomposed = new ReportDocument("T").Add(new KeepTogether(new Paragraph("Cafe\u0301\nline")));
        Assert.Equal(composed.ComputeContentHash(), decomposed.ComputeContentHash());
    }

    [Fact]
    public void A_row_taller_than_a_page_is_split_between_pages_without_losing_text()
    {
        var words = Enumerable.Range(1, 1500).Select(i => string.Create(CultureInfo.InvariantCulture, $"w{i:0000}")).ToList();
        var doc = new ReportDocument("Tall row");
        doc.Add(
            new Paragraph("Before the table."),
            new Table([new TableColumn("Field"), new TableColumn("Long free text", 3)], [new TableRow("Narrative", string.Join(' ', words)), new TableRow("After", "last row")]));
        var pdf = Render(doc);
        var pages = Poppler.Pages(pdf.Bytes);
        Assert.True(pages.Length >= 2);
        var found = WordToken().Matches(string.Join("\n", pages)).Select(m => m.Value).ToList();
        Assert.Equal(words, found);
        Assert.All(pages, p => Assert.Equal(1, Count(p, "Long free text")));
        AssertNothingOutsideFrame(pdf.Bytes);
        AssertSlicesInsideBody(doc);
    }

    [GeneratedRegex(@"w\d{4}")]
    private static partial Regex WordToken();

    [Fact]
    public void Headings_never_end_a_page_and_keep_together_groups_stay_on_one_page()
    {
        var doc = new ReportDocument("Casebook");
        for (var i = 1; i <= 40; i++)
        {
            doc.Add(new Heading(string.Create(CultureInfo.InvariantCulture, $"Section {i}"), 1 + (i % 2)));
            doc.Add(new Paragraph(string.Join(' ', Enumerable.Repeat("Text of the section that wraps over lines.", 2 + (i % 7)))));
        }
        var pages = Poppler.Pages(Render(doc).Bytes);
        Assert.True(pages.Length >= 3);
        foreach (var page in pages)
        {
            var body = page.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).TakeWhile(l => !l.StartsWith("Generated", StringComparison.Ordinal)).ToList();
            Assert.DoesNotMatch(@"^Section \d+$", body[^1]);
        }

        // Whatever precedes it, a group that fits on a page is never split.
        for (var filler = 0; filler < 60; filler += 4)
        {
            var grouped = new ReportDocument("Group");
            for (var i = 0; i < filler; i++)
            {
                grouped.Add(new Paragraph(string.Create(CultureInfo.InvariantCulture, $"Filler line {i}.")));
            }
            grouped.Add(new KeepTogether(
                new Heading("Kept group"),
                new Table([new TableColumn("Key"), new TableColumn("Value")], [.. Enumerable.Range(1, 12).Select(k => new TableRow(string.Create(CultureInfo.InvariantCulture, $"K{k:00}"), "value"))])));
            var groupPages = Poppler.Pages(Render(grouped).Bytes);
            var holding = groupPages.Where(p => p.Contains("K01", StringComparison.Ordinal) || p.Contains("K12", StringComparison.Ordinal) || p.Contains("Kept group", StringComparison.Ordinal)).ToList();
            Assert.Single(holding);
            Assert.Contains("Kept group", holding[0], StringComparison.Ordinal);
            Assert.Contains("K12", holding[0], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Nothing_is_drawn_outside_the_frame_or_between_body_and_footer()
    {
        var doc = Samples.Dsmb();
        doc.Banner = "CONFIDENTIAL - UNBLINDED " + Samples.Hash64;
        doc.Add(Samples.AuditTable(60), new Paragraph(string.Concat(Enumerable.Repeat("x", 900))));
        AssertNothingOutsideFrame(Render(doc).Bytes, landscape: true);
        AssertSlicesInsideBody(doc);
        AssertSlicesInsideBody(Samples.Sae());
        AssertSlicesInsideBody(Samples.BlankCrf());
        AssertNothingOutsideFrame(Render(Samples.BlankCrf()).Bytes);
        AssertNothingOutsideFrame(Render(Samples.Sae()).Bytes);
    }

    [Fact]
    public void Two_hundred_pages_render_quickly()
    {
        var doc = new ReportDocument("Performance");
        doc.AddContext("Trial", "PSY-001");
        for (var i = 0; i < 200; i++)
        {
            doc.Add(new Heading(string.Create(CultureInfo.InvariantCulture, $"Page section {i}")));
            doc.Add(new Paragraph(string.Join(' ', Enumerable.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.", 40))));
            doc.Add(new PageBreak());
        }
        Render(new ReportDocument("Warm-up").Add(new Paragraph("x")));
        var watch = Stopwatch.StartNew();
        var pdf = Render(doc);
        watch.Stop();
        output.WriteLine($"{pdf.PageCount} pages in {watch.ElapsedMilliseconds} ms, {pdf.Bytes.Length / 1024} KiB");
        Assert.Equal(200, pdf.PageCount);
        // Generous: about 0.2 s on an idle machine; the bound only catches accidental quadratic work.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"{pdf.PageCount} pages took {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void Documents_render_concurrently_with_identical_results()
    {
        var results = Enumerable.Range(0, 8).AsParallel().Select(_ => Render(Samples.Visit())).ToList();
        Assert.Single(results.Select(r => r.ContentHash).Distinct());
        Assert.Single(results.Select(r => r.PageCount).Distinct());
        Assert.All(results, r => Assert.StartsWith("%PDF-", System.Text.Encoding.ASCII.GetString(r.Bytes, 0, 5), StringComparison.Ordinal));
    }

    [Fact]
    public void Invalid_documents_are_refused_with_clear_errors()
    {
        var crowded = new ReportDocument("Too much context");
        for (var i = 0; i < 5; i++)
        {
            crowded.AddContext("Item", "value");
        }
        Assert.Contains("at most 4", Assert.Throws<ArgumentException>(() => Render(crowded)).Message, StringComparison.Ordinal);

        var ragged = new ReportDocument("Ragged").Add(new Table([new TableColumn("A"), new TableColumn("B")], [new TableRow("only one")]));
        Assert.Contains("row 0 has 1 cells", Assert.Throws<ArgumentException>(() => Render(ragged)).Message, StringComparison.Ordinal);

        var deep = new ReportDocument("Deep").Add(new Heading("Level 3", 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Render(deep));

        var negative = new ReportDocument("Chart").Add(new BarChart(new BarChartItem("Bad", -1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Render(negative));

        Assert.Throws<ArgumentException>(() => PdfRenderer.Render(Samples.Visit(), Samples.Options with { DocumentId = " " }));
    }

    /// <summary>Every pixel outside the page frame (the margins) must be white.</summary>
    private void AssertNothingOutsideFrame(byte[] pdf, bool landscape = false)
    {
        const int dpi = 60;
        var margin = (int)Math.Floor(Rendering.PageFrame.Margin * dpi / 72.0) - 1;
        var pages = Poppler.Render(pdf, dpi);
        for (var p = 0; p < pages.Count; p++)
        {
            var page = pages[p];
            Assert.Equal(landscape, page.Width > page.Height);
            var outside = page.InkedPixels(0, 0, page.Width, margin)
                + page.InkedPixels(0, page.Height - margin, page.Width, page.Height)
                + page.InkedPixels(0, 0, margin, page.Height)
                + page.InkedPixels(page.Width - margin, 0, page.Width, page.Height);
            Assert.True(outside == 0, $"page {p + 1}: {outside} inked pixels in the margins");
        }
        output.WriteLine($"{pages.Count} pages checked for ink in the margins");
    }

    /// <summary>The layout pass places every slice within the body, clear of header and footer.</summary>
    private static void AssertSlicesInsideBody(ReportDocument doc)
    {
        var layout = PdfRenderer.Lay(doc, Samples.Options, doc.ComputeContentHash());
        Assert.True(layout.Frame.BodyTop > Rendering.PageFrame.Margin && layout.Frame.BodyBottom < layout.Frame.FooterTop);
        foreach (var page in layout.Pages)
        {
            Assert.NotEmpty(page);
            foreach (var placed in page)
            {
                Assert.True(placed.Top >= 0 && placed.Top + placed.Slice.Height <= layout.Frame.BodyHeight + 0.001,
                    $"slice at {placed.Top:0.##} of height {placed.Slice.Height:0.##} leaves a body of {layout.Frame.BodyHeight:0.##}");
            }
        }
    }
}
