using System.Collections.Concurrent;
using System.Text;
using PdfSharp.Drawing;
using PdfSharp.Pdf;
using TrialManager.Documents.Rendering;

namespace TrialManager.Documents.Layout;

internal enum Face
{
    Sans,
    SansBold,
    SansItalic,
    SansBoldItalic,
    Mono,
}

internal enum Ink
{
    Black,
    Gray,
    Red,
    White,
}

/// <summary>Face, size and colour of a piece of text.</summary>
internal readonly record struct Style(Face Face, double Size, Ink Ink = Ink.Black)
{
    public Style With(Face face) => this with { Face = face };

    public static Face FaceOf(TextStyle style) => style switch
    {
        TextStyle.Bold => Face.SansBold,
        TextStyle.Italic => Face.SansItalic,
        TextStyle.BoldItalic => Face.SansBoldItalic,
        TextStyle.Mono => Face.Mono,
        _ => Face.Sans,
    };
}

/// <summary>Turns caller text into what is drawn and hashed: valid Unicode, NFC, "\n" line ends, no control codes.</summary>
internal static class TextNormalizer
{
    public static string Normalize(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }
        var clean = true;
        foreach (var c in text)
        {
            if (char.IsControl(c) || char.IsSurrogate(c))
            {
                clean = false;
                break;
            }
        }
        if (clean)
        {
            return text.IsNormalized(NormalizationForm.FormC) ? text : text.Normalize(NormalizationForm.FormC);
        }
        var sb = new StringBuilder(text.Length);
        var previousCr = false;
        // EnumerateRunes turns lone surrogates into U+FFFD, which Normalize would otherwise reject.
        foreach (var rune in text.EnumerateRunes())
        {
            var value = rune.Value;
            if (value == '\n' && previousCr)
            {
                previousCr = false;
                continue;
            }
            previousCr = value == '\r';
            if (value is '\r' or '\n')
            {
                sb.Append('\n');
            }
            else if (value == '\t')
            {
                sb.Append(' ');
            }
            else if (!Rune.IsControl(rune))
            {
                sb.Append(rune.ToString());
            }
        }
        return sb.ToString().Normalize(NormalizationForm.FormC);
    }
}

/// <summary>
/// Text widths from PDFsharp's own metrics, cached per face and code point at 1 pt. PDFsharp does not kern, so a
/// string's width is the sum of its characters' widths; measuring each character once keeps layout fast.
/// </summary>
internal static class TextMeasure
{
    private const double ReferenceSize = 1000;
    private const int AsciiCount = 128;

    private static readonly Lock Gate = new();
    private static readonly double[][] Ascii = CreateAsciiTables();
    private static readonly ConcurrentDictionary<(Face, int), double> Others = new();
    private static XGraphics? _context;
    private static XFont[]? _referenceFonts;

    /// <summary>Ascent and descent of DejaVu Sans (and Mono) as fractions of the em size, from their hhea tables.</summary>
    public const double Ascent = 1901.0 / 2048;

    public const double Descent = 483.0 / 2048;

    /// <summary>
    /// Text that WinAnsi can hold is written as WinAnsi, the rest as Unicode glyph ids (PDFsharp picks per string).
    /// Both draw the same glyphs and read back the same, but a WinAnsi string is a quarter of the bytes and much
    /// cheaper for PDFsharp to write, which counts in documents of tens of pages of tables.
    /// </summary>
    public static readonly XPdfFontOptions FontOptions = new(PdfFontEncoding.Automatic);

    /// <summary>Unicode glyph ids always: for the few strings whose WinAnsi form would read back differently.</summary>
    public static readonly XPdfFontOptions UnicodeFontOptions = new(PdfFontEncoding.Unicode);

    public static XFont CreateFont(Face face, double size) => CreateFont(face, size, FontOptions);

    public static XFont CreateFont(Face face, double size, XPdfFontOptions options)
    {
        var (family, style) = face switch
        {
            Face.SansBold => (DejaVuFontResolver.SansFamily, XFontStyleEx.Bold),
            Face.SansItalic => (DejaVuFontResolver.SansFamily, XFontStyleEx.Italic),
            Face.SansBoldItalic => (DejaVuFontResolver.SansFamily, XFontStyleEx.BoldItalic),
            Face.Mono => (DejaVuFontResolver.MonoFamily, XFontStyleEx.Regular),
            _ => (DejaVuFontResolver.SansFamily, XFontStyleEx.Regular),
        };
        return new XFont(family, size, style, options);
    }

    public static double Width(string text, Style style) => Width(text.AsSpan(), style.Face) * style.Size;

    /// <summary>Width at 1 pt.</summary>
    public static double Width(ReadOnlySpan<char> text, Face face)
    {
        var table = Ascii[(int)face];
        double total = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c < AsciiCount)
            {
                var w = table[c];
                if (double.IsNaN(w))
                {
                    w = Measure(face, c);
                    table[c] = w;
                }
                total += w;
            }
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                total += Others.GetOrAdd((face, char.ConvertToUtf32(c, text[i + 1])), key => Measure(key.Item1, key.Item2));
                i++;
            }
            else
            {
                total += Others.GetOrAdd((face, c), key => Measure(key.Item1, key.Item2));
            }
        }
        return total;
    }

    private static double Measure(Face face, int codePoint)
    {
        lock (Gate)
        {
            if (_context is null || _referenceFonts is null)
            {
                PdfEnvironment.EnsureInitialized();
                _context = XGraphics.CreateMeasureContext(
                    new XSize(ReferenceSize * 4, ReferenceSize * 4), XGraphicsUnit.Point, XPageDirection.Downwards, null!);
                _referenceFonts = [.. Enum.GetValues<Face>().Select(f => CreateFont(f, ReferenceSize))];
            }
            var text = Rune.IsValid(codePoint) ? char.ConvertFromUtf32(codePoint) : "\uFFFD";
            return _context.MeasureString(text, _referenceFonts[(int)face]).Width / ReferenceSize;
        }
    }

    private static double[][] CreateAsciiTables()
    {
        var tables = new double[Enum.GetValues<Face>().Length][];
        for (var i = 0; i < tables.Length; i++)
        {
            tables[i] = new double[AsciiCount];
            Array.Fill(tables[i], double.NaN);
        }
        return tables;
    }
}
