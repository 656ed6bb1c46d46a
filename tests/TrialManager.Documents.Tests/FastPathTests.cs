using System.Globalization;
using System.Text;
using TrialManager.Documents.Layout;

namespace TrialManager.Documents.Tests;

/// <summary>
/// The shortcuts that make long documents fast (wrapping without copies and with one reusable state per thread,
/// buffered hashing, WinAnsi text) must give exactly what the plain ways gave.
/// </summary>
public class FastPathTests
{
    private static readonly Style Body = new(Face.Sans, 9.5);
    private static readonly Style[] Styles = [Body, new(Face.SansBold, 9.5), new(Face.Mono, 7, Ink.Gray), new(Face.Sans, 8, Ink.Gray)];
    private static readonly string[] Separators = [" ", " ", " ", "  ", "\t", "\n", "\r\n", "\u2003", " \n "];

    [Fact]
    public void The_wrapper_breaks_lines_exactly_like_the_plain_greedy_algorithm()
    {
        PdfEnvironment.EnsureInitialized();
        var random = new Random(20261121);
        for (var round = 0; round < 2000; round++)
        {
            var runs = Enumerable.Range(0, random.Next(1, 4)).Select(_ => new Run(RandomText(random), Styles[random.Next(Styles.Length)])).ToList();
            var width = random.Next(4) == 0 ? 2 + (random.NextDouble() * 20) : 20 + (random.NextDouble() * 400);

            var expected = ReferenceWrap(runs, width);
            var actual = TextWrapper.Wrap(runs, width, 9.5);

            Assert.Equal(expected.Count, actual.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                // Exact equality: the same sums in the same order, so the same positions in the PDF.
                Assert.Equal(expected[i].Width, actual[i].Width);
                Assert.Equal(expected[i].Fragments, actual[i].Fragments.Select(f => (f.X, f.Text, f.Style)));
            }
        }
    }

    [Fact]
    public void Wrapped_lines_do_not_depend_on_earlier_calls_or_other_threads()
    {
        PdfEnvironment.EnsureInitialized();
        var random = new Random(7);
        var texts = Enumerable.Range(0, 64).Select(_ => RandomText(random)).ToList();
        var sequential = texts.Select(t => Flatten(TextWrapper.Wrap(t, Body, 120))).ToList();

        // A result stays as it was after later calls reuse the wrapping state.
        var kept = TextWrapper.Wrap(texts[0], Body, 120);
        _ = TextWrapper.Wrap(texts[1], Body, 40);
        Assert.Equal(sequential[0], Flatten(kept));

        var parallel = texts.AsParallel().AsOrdered().WithDegreeOfParallelism(4).Select(t => Flatten(TextWrapper.Wrap(t, Body, 120))).ToList();
        Assert.Equal(sequential, parallel);
    }

    [Fact]
    public void A_value_that_fits_is_drawn_from_the_callers_own_string_and_spaces_still_collapse()
    {
        PdfEnvironment.EnsureInitialized();
        var text = "Casey Coordinator (SiteCoordinator)";
        Assert.Same(text, Assert.Single(Assert.Single(TextWrapper.Wrap(text, Body, 500)).Fragments).Text);

        Assert.Equal("a b c d", Assert.Single(Assert.Single(TextWrapper.Wrap("  a  b\tc\u2003d  ", Body, 500)).Fragments).Text);
        // Runs of one style read as one fragment, across the runs.
        var merged = Assert.Single(TextWrapper.Wrap([new Run("Signed ", Body), new Run("by", Body)], 500, 9.5));
        Assert.Equal("Signed by", Assert.Single(merged.Fragments).Text);
    }

    [Fact]
    public void Content_hashes_are_what_they_were_before_hashing_was_buffered()
    {
        // Computed with the unbuffered hasher: sign-offs bound to a content hash must keep matching.
        Assert.Equal("2c7fc6ec2236244770a0c11d8b20cf49d28e83252cf52ae3caacfccd79b4fea1", Samples.Visit().ComputeContentHash());
        Assert.Equal("d1f77d0f1f8cc65aaeb41e0b9a56916b7ef306e138fe99af2a5c006713b7e211", Samples.BlankCrf().ComputeContentHash());
        Assert.Equal("f18e79f05e9be1fb62f901fbf109c7d502b0a650f1d066f1e09feb61102c341e", Samples.Sae().ComputeContentHash());
        Assert.Equal("97cacdc176cbbc63772e4dbd936b734cc931c72ec2be9aea7d680b31b4c918a0", Samples.Dsmb().ComputeContentHash());

        // Values longer than the hashing buffer, among many short ones.
        var sb = new StringBuilder();
        for (var i = 0; i < 6000; i++)
        {
            sb.Append("Wort").Append(i).Append(i % 7 == 0 ? "\u00e9\u00df " : " ");
        }
        var big = new ReportDocument("Long value") { Subject = "A value longer than any buffer" };
        big.Add(new Paragraph(sb.ToString()), new Table([new TableColumn("A"), new TableColumn("B")], [new TableRow("x", sb.ToString(0, 40000))]));
        Assert.Equal("81f9eda9d0aae3b5f40c6ffe5a35f73f6aa93262fad86480f49e00f4d645f3e6", big.ComputeContentHash());
    }

    [Fact]
    public void Text_reads_back_as_written_in_winansi_and_in_unicode()
    {
        var written = new[]
        {
            "na\u00efve caf\u00e9 \u00e0 \u00df \u00b5g \u00b1 \u00b7 \u00bd",
            "\u2013 \u201cquoted\u201d \u2018once\u2019 \u2026 \u20ac \u2022 \u2122 \u0160\u0161 \u0152\u0153",
            "\u2264 5 \u2192 \u2265 3 \u2248",
            // WinAnsi's 0xAD reads back as "-": a soft hyphen must still read back as itself.
            "soft\u00adhyphen",
        };
        var doc = new ReportDocument("Characters \u2013 \u00e9\u00e8");
        doc.Add(new Paragraph(written[0]), new Table([new TableColumn("A"), new TableColumn("B")], [new TableRow(written[1], written[2])]), new KeyValueList(new KeyValueRow("Word", written[3])));
        var pdf = PdfRenderer.Render(doc, Samples.Options);

        // Layout mode may widen the gaps between words; the characters are what counts.
        var text = Squash(Poppler.Text(pdf.Bytes));
        foreach (var expected in written)
        {
            Assert.Contains(Squash(expected), text, StringComparison.Ordinal);
        }
        Assert.Contains("Characters\u2013\u00e9\u00e8", text, StringComparison.Ordinal);
        var fonts = Poppler.Fonts(pdf.Bytes);
        Assert.Contains("WinAnsi", fonts, StringComparison.Ordinal);
        Assert.Contains("Identity-H", fonts, StringComparison.Ordinal);
    }

    private static string Squash(string text) => string.Concat(text.Where(c => !char.IsWhiteSpace(c)));

    private static string Flatten(List<TextLine> lines) => string.Join('\n', lines.Select(l =>
        string.Create(CultureInfo.InvariantCulture, $"{l.Width:R}: ") + string.Join(" | ", l.Fragments.Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.X:R} {f.Style} {f.Text}")))));

    private static string RandomText(Random random)
    {
        const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-/_.,;:()\u00e9\u00fc\u00df\u00b5\u00b1\u2264\u00a0";
        var sb = new StringBuilder();
        var words = random.Next(0, 25);
        if (random.Next(5) == 0)
        {
            sb.Append(Separators[random.Next(Separators.Length)]);
        }
        for (var w = 0; w < words; w++)
        {
            var length = random.Next(10) == 0 ? random.Next(30, 140) : random.Next(1, 12);
            for (var i = 0; i < length; i++)
            {
                if (random.Next(60) == 0)
                {
                    sb.Append("\U0001F600");
                }
                else
                {
                    sb.Append(Alphabet[random.Next(Alphabet.Length)]);
                }
            }
            sb.Append(Separators[random.Next(Separators.Length)]);
        }
        return sb.ToString();
    }

    private static bool IsBreakingSpace(char c) => char.IsWhiteSpace(c) && c is not ('\u00A0' or '\u2007' or '\u202F');

    /// <summary>
    /// Greedy wrapping in its plainest form: a string for every piece of a word and for every character of a word
    /// too long for the line, fragments grown in string builders.
    /// </summary>
    private static List<(double Width, List<(double X, string Text, Style Style)> Fragments)> ReferenceWrap(IReadOnlyList<Run> runs, double width)
    {
        const double Epsilon = 0.01;
        width = Math.Max(width, 1);
        var lines = new List<(double, List<(double, string, Style)>)>();
        var word = new List<(string Text, Style Style, double Width)>();
        var line = new List<(double X, StringBuilder Text, Style Style)>();
        double x = 0;
        Style? pendingSpace = null;

        void NewLine()
        {
            lines.Add((x, [.. line.Select(f => (f.X, f.Text.ToString(), f.Style))]));
            line.Clear();
            x = 0;
            pendingSpace = null;
        }

        void Add(string text, Style style, double textWidth)
        {
            if (line.Count > 0 && line[^1].Style == style)
            {
                line[^1].Text.Append(text);
            }
            else
            {
                line.Add((x, new StringBuilder(text), style));
            }
            x += textWidth;
        }

        void FlushWord()
        {
            if (word.Count == 0)
            {
                return;
            }
            double wordWidth = 0;
            foreach (var piece in word)
            {
                wordWidth += piece.Width;
            }
            var spaceWidth = line.Count > 0 && pendingSpace is { } s ? TextMeasure.Width(" ", s) : 0;
            if (x + spaceWidth + wordWidth <= width + Epsilon)
            {
                if (spaceWidth > 0)
                {
                    Add(" ", pendingSpace!.Value, spaceWidth);
                }
                word.ForEach(p => Add(p.Text, p.Style, p.Width));
            }
            else if (wordWidth <= width + Epsilon)
            {
                NewLine();
                word.ForEach(p => Add(p.Text, p.Style, p.Width));
            }
            else
            {
                if (line.Count > 0)
                {
                    NewLine();
                }
                var chars = new List<(string Text, Style Style, double Width)>();
                foreach (var (text, style, _) in word)
                {
                    for (var i = 0; i < text.Length; i++)
                    {
                        var length = char.IsHighSurrogate(text[i]) && i + 1 < text.Length ? 2 : 1;
                        var piece = text.Substring(i, length);
                        chars.Add((piece, style, TextMeasure.Width(piece, style)));
                        i += length - 1;
                    }
                }
                var start = 0;
                while (start < chars.Count)
                {
                    var end = start;
                    var used = x;
                    while (end < chars.Count && (end == start || used + chars[end].Width <= width + Epsilon))
                    {
                        used += chars[end].Width;
                        end++;
                    }
                    if (end < chars.Count)
                    {
                        for (var k = end - 1; k > start + ((end - start) / 2); k--)
                        {
                            if ("-/_.,;:".Contains(chars[k].Text, StringComparison.Ordinal))
                            {
                                end = k + 1;
                                break;
                            }
                        }
                    }
                    for (var k = start; k < end; k++)
                    {
                        Add(chars[k].Text, chars[k].Style, chars[k].Width);
                    }
                    if (end < chars.Count)
                    {
                        NewLine();
                    }
                    start = end;
                }
            }
            word.Clear();
            pendingSpace = null;
        }

        foreach (var run in runs)
        {
            var text = TextNormalizer.Normalize(run.Text);
            var i = 0;
            while (i < text.Length)
            {
                if (text[i] == '\n')
                {
                    FlushWord();
                    NewLine();
                    i++;
                }
                else if (IsBreakingSpace(text[i]))
                {
                    FlushWord();
                    if (line.Count > 0)
                    {
                        pendingSpace ??= run.Style;
                    }
                    i++;
                }
                else
                {
                    var end = i + 1;
                    while (end < text.Length && text[end] != '\n' && !IsBreakingSpace(text[end]))
                    {
                        end++;
                    }
                    var piece = text[i..end];
                    word.Add((piece, run.Style, TextMeasure.Width(piece, run.Style)));
                    i = end;
                }
            }
        }
        FlushWord();
        NewLine();
        return lines;
    }
}
