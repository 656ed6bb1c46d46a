using System.Globalization;
using System.Text;
using TrialManager.Documents.Layout;
using TrialManager.Documents.Rendering;

namespace TrialManager.Documents.Tests;

/// <summary>The layout pass on its own: wrapping, pagination rules and font loading, without reading PDFs.</summary>
public class LayoutTests
{
    private static readonly Style Body = new(Face.Sans, 9.5);

    [Fact]
    public void Wrapped_lines_fit_their_width_and_keep_every_character()
    {
        PdfEnvironment.EnsureInitialized();
        var random = new Random(20261120);
        for (var round = 0; round < 300; round++)
        {
            var words = Enumerable.Range(0, random.Next(1, 40))
                .Select(_ => RandomWord(random, random.Next(1, round % 10 == 0 ? 120 : 14)))
                .ToList();
            var text = string.Join(' ', words);
            var width = 20 + (random.NextDouble() * 400);
            var lines = TextWrapper.Wrap(text, Body, width);
            foreach (var line in lines)
            {
                Assert.True(line.Width <= width + 0.01, $"line of {line.Width:0.##} pt in {width:0.##} pt");
                // The recorded width is the width the text really has.
                Assert.Equal(TextMeasure.Width(string.Concat(line.Fragments.Select(f => f.Text)), Body), line.Width, 6);
            }
            var joined = string.Concat(lines.SelectMany(l => l.Fragments).Select(f => f.Text)).Replace(" ", "", StringComparison.Ordinal);
            Assert.Equal(string.Concat(words), joined);
        }
    }

    private static string RandomWord(Random random, int length)
    {
        const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/_.éüßµ±≤";
        var sb = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            sb.Append(Alphabet[random.Next(Alphabet.Length)]);
        }
        return sb.ToString();
    }

    [Fact]
    public void Wrapping_honours_line_breaks_styles_and_prefers_breaking_long_paths_at_slashes()
    {
        PdfEnvironment.EnsureInitialized();
        var bold = Body with { Face = Face.SansBold };
        var lines = TextWrapper.Wrap([new Run("Name: ", bold), new Run("Ada\nLovelace", Body)], 500, 9.5);
        Assert.Equal(2, lines.Count);
        Assert.Equal(["Name: ", "Ada"], lines[0].Fragments.Select(f => f.Text));
        Assert.Equal([Face.SansBold, Face.Sans], lines[0].Fragments.Select(f => f.Style.Face));
        Assert.Equal("Lovelace", lines[1].Fragments.Single().Text);

        var path = "/srv/exports/participants/LON-0042/visits/week-4/forms";
        var width = TextMeasure.Width("/srv/exports/participants/LO", Body);
        var pathLines = TextWrapper.Wrap(path, Body, width);
        Assert.Equal("/srv/exports/participants/", pathLines[0].Fragments[0].Text);

        // Empty text still takes one line, so empty cells and values keep their height.
        var empty = Assert.Single(TextWrapper.Wrap("", Body, 100));
        Assert.Equal(TextLine.HeightFor(9.5), empty.Height);
    }

    [Fact]
    public void Normalization_gives_one_form_for_equal_looking_text()
    {
        Assert.Equal("Caf\u00e9\nnext line", TextNormalizer.Normalize("Cafe\u0301\r\nnext\tline"));
        Assert.Equal("a\nb\nc", TextNormalizer.Normalize("a\rb\nc"));
        Assert.Equal("bad \uFFFD gone", TextNormalizer.Normalize("bad \uD800 g\u0007one"));
        Assert.Equal("", TextNormalizer.Normalize(null));
    }

    [Fact]
    public void Keep_with_next_chains_move_to_a_fresh_page_but_never_loop_on_long_chains()
    {
        var slices = new List<Slice> { new(80), new(15) { KeepWithNext = true }, new(10) };
        var pages = Paginator.Paginate(slices, 100);
        Assert.Equal(2, pages.Count);
        Assert.Equal([80.0], pages[0].Select(p => p.Slice.Height));
        Assert.Equal([15.0, 10.0], pages[1].Select(p => p.Slice.Height));

        // A chain longer than a page cannot be kept together: it flows instead of being pushed forever.
        var chain = Enumerable.Range(0, 30).Select(_ => new Slice(10) { KeepWithNext = true }).ToList();
        var flowing = Paginator.Paginate([new Slice(50), .. chain], 100);
        Assert.Equal(4, flowing.Count);
        Assert.Equal(6, flowing[0].Count);
    }

    [Fact]
    public void Page_breaks_start_pages_except_at_the_top_of_one()
    {
        var pages = Paginator.Paginate(
            [new Slice(0) { BreakBefore = true }, new(10), new Slice(0) { BreakBefore = true }, new Slice(0) { BreakBefore = true }, new(10), new Slice(0) { BreakBefore = true }],
            100);
        Assert.Equal(2, pages.Count);
        Assert.All(pages, p => Assert.Single(p));
    }

    [Fact]
    public void Continued_pages_start_with_the_repeated_header_and_tall_rows_are_split()
    {
        PdfEnvironment.EnsureInitialized();
        var layouter = new BlockLayouter(300, 200);
        var rows = Enumerable.Range(0, 30).Select(i => new TableRow(i.ToString(CultureInfo.InvariantCulture), "row")).ToList();
        rows.Add(new TableRow("tall", string.Join('\n', Enumerable.Range(0, 60).Select(i => i.ToString(CultureInfo.InvariantCulture)))));
        var slices = layouter.Layout([new Table([new TableColumn("Key"), new TableColumn("Value")], rows)]);
        var header = slices[0];
        var pages = Paginator.Paginate(slices, 200);
        Assert.True(pages.Count >= 5);
        foreach (var page in pages)
        {
            Assert.Same(header, page[0].Slice);
            Assert.Equal(0, page[0].Top);
            Assert.All(page, p => Assert.True(p.Top + p.Slice.Height <= 200.001));
            Assert.Single(page, p => ReferenceEquals(p.Slice, header));
        }
        // The tall row's pieces together hold all its lines: the last page ends with its final piece.
        Assert.IsType<RowSlice>(pages[^1][^1].Slice);
    }

    [Fact]
    public void Missing_fonts_name_the_debian_package_and_the_environment_variable()
    {
        var empty = Directory.CreateTempSubdirectory("tm-fonts-");
        try
        {
            var error = Assert.Throws<InvalidOperationException>(() => DejaVuFontResolver.Load(empty.FullName));
            Assert.Contains("fonts-dejavu-core", error.Message, StringComparison.Ordinal);
            Assert.Contains("TRIALMANAGER_FONT_DIR", error.Message, StringComparison.Ordinal);
            Assert.Contains("DejaVuSans.ttf", error.Message, StringComparison.Ordinal);
            Assert.Contains(empty.FullName, error.Message, StringComparison.Ordinal);

            // The three fonts of fonts-dejavu-core are enough: obliques are then slanted by PDFsharp.
            foreach (var file in new[] { "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf" })
            {
                File.Copy(Path.Combine(DejaVuFontResolver.DefaultDirectory, file), Path.Combine(empty.FullName, file));
            }
            var resolver = DejaVuFontResolver.Load(empty.FullName);
            Assert.False(resolver.HasObliqueFaces);
            var italic = resolver.ResolveTypeface(DejaVuFontResolver.SansFamily, bold: true, italic: true)!;
            Assert.Equal("DejaVuSans-Bold", italic.FaceName);
            Assert.True(italic.MustSimulateItalic);
            Assert.NotNull(resolver.GetFont(italic.FaceName));
            Assert.Equal("DejaVuSansMono", resolver.ResolveTypeface(DejaVuFontResolver.MonoFamily, false, false)!.FaceName);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
        Assert.Equal("/fonts/here", DejaVuFontResolver.DirectoryFrom("/fonts/here"));
        Assert.Equal(DejaVuFontResolver.DefaultDirectory, DejaVuFontResolver.DirectoryFrom(" "));
    }
}
