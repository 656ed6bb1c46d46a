using System.Text;
using TrialManager.Documents.Rendering;

namespace TrialManager.Documents.Layout;

/// <summary>The smallest unit of vertical layout: never split, never taller than a few text lines.</summary>
internal abstract class LineItem
{
    public abstract double Height { get; }

    /// <summary>Draws with the top-left corner of the line at (x, y).</summary>
    public abstract void Draw(DrawContext dc, double x, double y);
}

internal sealed record Fragment(double X, string Text, Style Style);

/// <summary>A check box drawn on a text line, <see cref="X"/> from the line's left edge.</summary>
internal readonly record struct BoxMark(double X, double Size, bool Checked);

internal sealed class TextLine : LineItem
{
    /// <summary>Line height as a multiple of the largest font size on the line.</summary>
    public const double LineFactor = 1.25;

    public TextLine(IReadOnlyList<Fragment> fragments, double width, double emptySize)
    {
        Fragments = fragments;
        Width = width;
        var size = fragments.Count == 0 ? emptySize : fragments.Max(f => f.Style.Size);
        Height = size * LineFactor;
        // Centre the ink box (ascent + descent) in the line so mixed sizes share one baseline.
        Baseline = ((Height - ((TextMeasure.Ascent + TextMeasure.Descent) * size)) / 2) + (TextMeasure.Ascent * size);
    }

    public IReadOnlyList<Fragment> Fragments { get; }

    public List<BoxMark> Boxes { get; } = [];

    /// <summary>Extent of the text from the line's left edge (before <see cref="OffsetX"/>).</summary>
    public double Width { get; }

    /// <summary>Shift applied when drawing: indentation or right/centre alignment.</summary>
    public double OffsetX { get; set; }

    public override double Height { get; }

    public double Baseline { get; }

    public static double HeightFor(double size) => size * LineFactor;

    public void Align(CellAlignment alignment, double available)
    {
        OffsetX += alignment switch
        {
            CellAlignment.Right => Math.Max(0, available - Width),
            CellAlignment.Center => Math.Max(0, (available - Width) / 2),
            _ => 0,
        };
    }

    public override void Draw(DrawContext dc, double x, double y)
    {
        foreach (var box in Boxes)
        {
            dc.CheckBox(x + OffsetX + box.X, y + ((Height - box.Size) / 2), box.Size, box.Checked);
        }
        foreach (var f in Fragments)
        {
            dc.Text(f.Text, f.Style, x + OffsetX + f.X, y + Baseline);
        }
    }
}

/// <summary>Empty vertical space, e.g. writing space in a blank field.</summary>
internal sealed class GapLine(double height) : LineItem
{
    public override double Height { get; } = height;

    public override void Draw(DrawContext dc, double x, double y)
    {
    }
}

/// <summary>One bar of a bar chart, vertically centred in a text-line-high slot.</summary>
internal sealed class BarLine(double barWidth, double height) : LineItem
{
    public override double Height { get; } = height;

    public override void Draw(DrawContext dc, double x, double y)
    {
        if (barWidth > 0)
        {
            dc.Bar(x, y + (Height * 0.15), barWidth, Height * 0.7);
        }
    }
}

internal readonly record struct Run(string Text, Style Style);

/// <summary>
/// Greedy word wrapping of styled runs. Words longer than the line are broken (preferably after '-', '/', '_', '.',
/// ',', ';' or ':'), so no text ever runs past the given width.
/// </summary>
internal static class TextWrapper
{
    private const double Epsilon = 0.01;
    private const string PreferredBreaks = "-/_.,;:";

    public static List<TextLine> Wrap(string? text, Style style, double width) =>
        Wrap([new Run(text ?? "", style)], width, style.Size);

    public static List<TextLine> Wrap(IReadOnlyList<Run> runs, double width, double emptySize)
    {
        var state = new WrapState(Math.Max(width, 1), emptySize);
        foreach (var run in runs)
        {
            var text = TextNormalizer.Normalize(run.Text);
            var i = 0;
            while (i < text.Length)
            {
                var c = text[i];
                if (c == '\n')
                {
                    state.FlushWord();
                    state.NewLine();
                    i++;
                }
                else if (IsBreakingSpace(c))
                {
                    state.FlushWord();
                    state.Space(run.Style);
                    i++;
                }
                else
                {
                    // Measure a whole stretch of word characters at once (the common case), not each character.
                    var end = i + 1;
                    while (end < text.Length && text[end] != '\n' && !IsBreakingSpace(text[end]))
                    {
                        end++;
                    }
                    state.Append(text.Substring(i, end - i), run.Style);
                    i = end;
                }
            }
        }
        state.FlushWord();
        state.NewLine();
        return state.Lines;
    }

    // No-break spaces stay inside their word. All breaking spaces are in the BMP, so chars suffice.
    private static bool IsBreakingSpace(char c) => char.IsWhiteSpace(c) && c is not ('\u00A0' or '\u2007' or '\u202F');

    private sealed class WrapState(double width, double emptySize)
    {
        private readonly List<(string Text, Style Style, double Width)> _word = [];
        private readonly List<(StringBuilder Text, Style Style, double X)> _line = [];
        private double _x;
        private Style? _pendingSpace;

        public List<TextLine> Lines { get; } = [];

        public void Append(string text, Style style) => _word.Add((text, style, TextMeasure.Width(text, style)));

        public void Space(Style style)
        {
            // Spaces at the start of a line are dropped; runs of spaces count once.
            if (_line.Count > 0)
            {
                _pendingSpace ??= style;
            }
        }

        public void NewLine()
        {
            var fragments = new List<Fragment>(_line.Count);
            foreach (var (text, style, x) in _line)
            {
                fragments.Add(new Fragment(x, text.ToString(), style));
            }
            Lines.Add(new TextLine(fragments, _x, emptySize));
            _line.Clear();
            _x = 0;
            _pendingSpace = null;
        }

        public void FlushWord()
        {
            if (_word.Count == 0)
            {
                return;
            }
            double wordWidth = 0;
            foreach (var piece in _word)
            {
                wordWidth += piece.Width;
            }
            var spaceWidth = _line.Count > 0 && _pendingSpace is { } s ? TextMeasure.Width(" ", s) : 0;
            if (_x + spaceWidth + wordWidth <= width + Epsilon)
            {
                if (spaceWidth > 0)
                {
                    Add(" ", _pendingSpace!.Value, spaceWidth);
                }
                AddWhole();
            }
            else if (wordWidth <= width + Epsilon)
            {
                NewLine();
                AddWhole();
            }
            else
            {
                if (_line.Count > 0)
                {
                    NewLine();
                }
                BreakLongWord();
            }
            _word.Clear();
            _pendingSpace = null;
        }

        private void AddWhole()
        {
            foreach (var (text, style, w) in _word)
            {
                Add(text, style, w);
            }
        }

        /// <summary>The rare path: a word wider than the line, cut into line-wide pieces character by character.</summary>
        private void BreakLongWord()
        {
            var chars = new List<(string Text, Style Style, double Width)>();
            foreach (var (text, style, _) in _word)
            {
                for (var i = 0; i < text.Length; i++)
                {
                    // Keep surrogate pairs together.
                    var length = char.IsHighSurrogate(text[i]) && i + 1 < text.Length ? 2 : 1;
                    var piece = text.Substring(i, length);
                    chars.Add((piece, style, TextMeasure.Width(piece, style)));
                    i += length - 1;
                }
            }
            var start = 0;
            while (start < chars.Count)
            {
                // Take as many characters as fit, at least one so the loop always advances.
                var end = start;
                var used = _x;
                while (end < chars.Count && (end == start || used + chars[end].Width <= width + Epsilon))
                {
                    used += chars[end].Width;
                    end++;
                }
                if (end < chars.Count)
                {
                    for (var k = end - 1; k > start + ((end - start) / 2); k--)
                    {
                        if (PreferredBreaks.Contains(chars[k].Text, StringComparison.Ordinal))
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

        private void Add(string text, Style style, double textWidth)
        {
            if (_line.Count > 0 && _line[^1].Style == style)
            {
                _line[^1].Text.Append(text);
            }
            else
            {
                _line.Add((new StringBuilder(text), style, _x));
            }
            _x += textWidth;
        }
    }
}
