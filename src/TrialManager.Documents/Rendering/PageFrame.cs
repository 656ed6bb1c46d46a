using System.Globalization;
using TrialManager.Documents.Layout;

namespace TrialManager.Documents.Rendering;

/// <summary>
/// Page geometry plus the header and footer, laid out once per document (they are the same on every page except
/// for the page number, whose room is reserved for up to five-digit page counts).
/// </summary>
internal sealed class PageFrame
{
    public const double Margin = 40;

    // A4 in points.
    private const double ShortSide = 595.276;
    private const double LongSide = 841.89;
    private const double HeaderGap = 10;
    private const double FooterGap = 8;

    private static readonly Style FooterStyle = new(Face.Sans, 7, Ink.Gray);
    private static readonly Style PageNumberStyle = new(Face.Sans, 7.5);

    private readonly List<TextLine> _title;
    private readonly List<(double X, List<TextLine> Lines)> _context = [];
    private readonly double _contextTop;
    private readonly double _headerRule;
    private readonly RowSlice? _banner;
    private readonly double _bannerTop;
    private readonly List<TextLine> _footer;

    public PageFrame(ReportDocument document, RenderOptions options, string contentHash)
    {
        if (document.Context.Count > ReportDocument.MaxContextItems)
        {
            throw new ArgumentException(
                $"The page header holds at most {ReportDocument.MaxContextItems} context items; the document has {document.Context.Count}.",
                nameof(document));
        }
        var landscape = document.Orientation == PageOrientation.Landscape;
        PageWidth = landscape ? LongSide : ShortSide;
        PageHeight = landscape ? ShortSide : LongSide;
        Width = PageWidth - (2 * Margin);

        _title = TextWrapper.Wrap(document.Title, new Style(Face.SansBold, 12), Width);
        _contextTop = Margin + _title.Sum(l => l.Height) + 2;
        double contextHeight = 0;
        if (document.Context.Count > 0)
        {
            var columnWidth = Width / document.Context.Count;
            for (var i = 0; i < document.Context.Count; i++)
            {
                var item = document.Context[i];
                var lines = TextWrapper.Wrap(item.Label, new Style(Face.Sans, Typography.Label, Ink.Gray), columnWidth - 8);
                lines.AddRange(TextWrapper.Wrap(item.Value, new Style(Face.SansBold, Typography.Table), columnWidth - 8));
                _context.Add((i * columnWidth, lines));
                contextHeight = Math.Max(contextHeight, lines.Sum(l => l.Height));
            }
        }
        _headerRule = _contextTop + contextHeight + 3;
        BodyTop = _headerRule + HeaderGap;

        if (!string.IsNullOrWhiteSpace(document.Banner))
        {
            var row = new Row { PadX = 6, PadY = 3 };
            var cell = new Cell(0, Width) { Border = true, Fill = CellFill.Banner };
            var available = row.ContentWidth(cell);
            foreach (var line in TextWrapper.Wrap(document.Banner, new Style(Face.SansBold, 11, Ink.Red), available))
            {
                line.Align(CellAlignment.Center, available);
                cell.Lines.Add(line);
            }
            row.Cells.Add(cell);
            _banner = new RowSlice(row);
            _bannerTop = _headerRule + 6;
            BodyTop = _bannerTop + _banner.Height + HeaderGap;
        }

        var generated = options.GeneratedAtUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        var footerText =
            $"Generated {generated} UTC \u00b7 Document {options.DocumentId}\n" +
            $"Content SHA-256 {contentHash[..RenderedPdf.FooterHashLength]} \u00b7 TrialManager {options.SoftwareVersion}";
        var pageNumberRoom = TextMeasure.Width(PageLabel(99999, 99999), PageNumberStyle) + 12;
        _footer = TextWrapper.Wrap(footerText, FooterStyle, Width - pageNumberRoom);
        FooterTop = PageHeight - Margin - _footer.Sum(l => l.Height) - 3;
        BodyBottom = FooterTop - FooterGap;
        if (BodyHeight < PageHeight / 3)
        {
            throw new ArgumentException("Header and footer text leave too little room for content on the page.", nameof(document));
        }
    }

    public double PageWidth { get; }

    public double PageHeight { get; }

    /// <summary>Left edge of everything drawn on the page.</summary>
    public double Left => Margin;

    /// <summary>Width of the frame: header, body and footer all stay within it.</summary>
    public double Width { get; }

    public double BodyTop { get; }

    public double BodyBottom { get; }

    public double BodyHeight => BodyBottom - BodyTop;

    public double FooterTop { get; }

    public static string PageLabel(int page, int count) =>
        string.Create(CultureInfo.InvariantCulture, $"Page {page} of {count}");

    public void DrawHeader(DrawContext dc)
    {
        var y = Margin;
        foreach (var line in _title)
        {
            line.Draw(dc, Left, y);
            y += line.Height;
        }
        foreach (var (x, lines) in _context)
        {
            y = _contextTop;
            foreach (var line in lines)
            {
                line.Draw(dc, Left + x, y);
                y += line.Height;
            }
        }
        dc.Rule(Left, _headerRule, Width);
        _banner?.Draw(dc, _bannerTop);
    }

    public void DrawFooter(DrawContext dc, int page, int count)
    {
        dc.Rule(Left, FooterTop, Width);
        var y = FooterTop + 3;
        foreach (var line in _footer)
        {
            line.Draw(dc, Left, y);
            y += line.Height;
        }
        var label = PageLabel(page, count);
        var first = _footer[0];
        dc.Text(label, PageNumberStyle, Left + Width - TextMeasure.Width(label, PageNumberStyle), FooterTop + 3 + first.Baseline);
    }
}
