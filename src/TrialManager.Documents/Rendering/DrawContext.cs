using PdfSharp.Drawing;
using TrialManager.Documents.Layout;

namespace TrialManager.Documents.Rendering;

/// <summary>
/// Drawing primitives for one render: the current page's graphics, the frame's left edge and width, and cached
/// fonts, pens and brushes. One instance per render; PDFsharp objects are not shared between renders.
/// </summary>
internal sealed class DrawContext(double left, double width)
{
    private const char SoftHyphen = '\u00AD';

    private readonly Dictionary<(Face, double), XFont> _fonts = [];
    private readonly Dictionary<(Face, double), XFont> _unicodeFonts = [];
    private readonly XPen _border = new(XColor.FromArgb(60, 60, 60), 0.6);
    private readonly XPen _light = new(XColor.FromArgb(200, 200, 200), 0.4);
    private readonly XPen _rule = new(XColor.FromArgb(0, 0, 0), 0.75);
    private readonly XPen _banner = new(XColor.FromArgb(170, 0, 0), 1.2);
    private readonly XPen _box = new(XColor.FromArgb(0, 0, 0), 0.8);
    private readonly XSolidBrush _black = new(XColor.FromArgb(0, 0, 0));
    private readonly XSolidBrush _gray = new(XColor.FromArgb(85, 85, 85));
    private readonly XSolidBrush _red = new(XColor.FromArgb(170, 0, 0));
    private readonly XSolidBrush _white = new(XColor.FromArgb(255, 255, 255));
    private readonly XSolidBrush _headerFill = new(XColor.FromArgb(228, 228, 228));
    private readonly XSolidBrush _bannerFill = new(XColor.FromArgb(253, 235, 235));
    private readonly XSolidBrush _bar = new(XColor.FromArgb(70, 105, 150));
    private XGraphics? _graphics;

    public double Left { get; } = left;

    public double Width { get; } = width;

    public XGraphics Graphics
    {
        get => _graphics ?? throw new InvalidOperationException("No page is being drawn.");
        set => _graphics = value;
    }

    public void Text(string text, Style style, double x, double baseline)
    {
        if (text.Length == 0)
        {
            return;
        }
        // WinAnsi has no soft hyphen of its own: its 0xAD reads back as "-". Text holding one stays Unicode, so it
        // reads back exactly as written.
        var font = text.Contains(SoftHyphen, StringComparison.Ordinal)
            ? Font(_unicodeFonts, style, TextMeasure.UnicodeFontOptions)
            : Font(_fonts, style, TextMeasure.FontOptions);
        Graphics.DrawString(text, font, Brush(style.Ink), x, baseline, XStringFormats.BaseLineLeft);
    }

    /// <summary>A square box; a checked box also holds an "X", so the state survives text extraction too.</summary>
    public void CheckBox(double x, double y, double size, bool isChecked)
    {
        Graphics.DrawRectangle(_box, _white, x, y, size, size);
        if (isChecked)
        {
            var style = new Style(Face.SansBold, size * 0.95);
            var w = TextMeasure.Width("X", style);
            // Cap height of DejaVu Sans is 0.729 em: centre the capital in the box.
            Text("X", style, x + ((size - w) / 2), y + ((size + (0.729 * style.Size)) / 2));
        }
    }

    public void CellBox(double x, double y, double w, double h, CellFill fill, bool border, bool leftRule)
    {
        var brush = fill switch
        {
            CellFill.Header => _headerFill,
            CellFill.Banner => _bannerFill,
            _ => null,
        };
        if (border)
        {
            Graphics.DrawRectangle(fill == CellFill.Banner ? _banner : _border, brush, x, y, w, h);
        }
        else if (brush is not null)
        {
            Graphics.DrawRectangle(brush, x, y, w, h);
        }
        if (leftRule)
        {
            Graphics.DrawLine(_border, x, y, x, y + h);
        }
    }

    public void Bar(double x, double y, double w, double h) => Graphics.DrawRectangle(_bar, x, y, w, h);

    public void Rule(double x, double y, double w) => Graphics.DrawLine(_rule, x, y, x + w, y);

    public void LightRule(double x, double y, double w) => Graphics.DrawLine(_light, x, y, x + w, y);

    private static XFont Font(Dictionary<(Face, double), XFont> fonts, Style style, XPdfFontOptions options)
    {
        if (!fonts.TryGetValue((style.Face, style.Size), out var font))
        {
            font = TextMeasure.CreateFont(style.Face, style.Size, options);
            fonts[(style.Face, style.Size)] = font;
        }
        return font;
    }

    private XSolidBrush Brush(Ink ink) => ink switch
    {
        Ink.Gray => _gray,
        Ink.Red => _red,
        Ink.White => _white,
        _ => _black,
    };
}
