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

internal readonly record struct Fragment(double X, string Text, Style Style);

/// <summary>A check box drawn on a text line, <see cref="X"/> from the line's left edge.</summary>
internal readonly record struct BoxMark(double X, double Size, bool Checked);

internal sealed class TextLine : LineItem
{
    /// <summary>Line height as a multiple of the largest font size on the line.</summary>
    public const double LineFactor = 1.25;

    // Most lines carry no check box: the list is made on first use only.
    private List<BoxMark>? _boxes;

    public TextLine(IReadOnlyList<Fragment> fragments, double width, double emptySize)
    {
        Fragments = fragments;
        Width = width;
        var size = emptySize;
        for (var i = 0; i < fragments.Count; i++)
        {
            if (i == 0 || fragments[i].Style.Size > size)
            {
                size = fragments[i].Style.Size;
            }
        }
        Height = size * LineFactor;
        // Centre the ink box (ascent + descent) in the line so mixed sizes share one baseline.
        Baseline = ((Height - ((TextMeasure.Ascent + TextMeasure.Descent) * size)) / 2) + (TextMeasure.Ascent * size);
    }

    public IReadOnlyList<Fragment> Fragments { get; }

    public List<BoxMark> Boxes => _boxes ??= [];

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
        if (_boxes is not null)
        {
            foreach (var box in _boxes)
            {
                dc.CheckBox(x + OffsetX + box.X, y + ((Height - box.Size) / 2), box.Size, box.Checked);
            }
        }
        for (var i = 0; i < Fragments.Count; i++)
        {
            var f = Fragments[i];
            dc.Text(f.Text, f.Style, x + OffsetX + f.X, y + Baseline);
        }
    }
}

internal static class LineLists
{
    /// <summary>
    /// Appends wrapped lines to a cell's lines. <see cref="List{T}.AddRange"/> would take a list of text lines as a
    /// plain sequence (it is no collection of <see cref="LineItem"/>) and grow step by step through a boxed enumerator.
    /// </summary>
    public static void AddLines<T>(this List<LineItem> target, List<T> lines)
        where T : LineItem
    {
        target.EnsureCapacity(target.Count + lines.Count);
        foreach (var line in lines)
        {
            target.Add(line);
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

    // Wrapping runs for every cell of every table: one reusable state per thread keeps it from allocating scratch
    // lists each time (the renderer may run on several threads at once, so it is not shared).
    [ThreadStatic]
    private static WrapState? _state;

    public static List<TextLine> Wrap(string? text, Style style, double width)
    {
        var state = Start(width, style.Size);
        state.AddRun(text, style);
        return state.Finish();
    }

    public static List<TextLine> Wrap(IReadOnlyList<Run> runs, double width, double emptySize)
    {
        var state = Start(width, emptySize);
        for (var i = 0; i < runs.Count; i++)
        {
            state.AddRun(runs[i].Text, runs[i].Style);
        }
        return state.Finish();
    }

    private static WrapState Start(double width, double emptySize)
    {
        var state = _state ??= new WrapState();
        state.Reset(Math.Max(width, 1), emptySize);
        return state;
    }

    // No-break spaces stay inside their word. All breaking spaces are in the BMP, so chars suffice.
    private static bool IsBreakingSpace(char c) => char.IsWhiteSpace(c) && c is not ('\u00A0' or '\u2007' or '\u202F');

    /// <summary>A stretch of a run's (normalized) text in one style, with its width; no substring is made for it.</summary>
    private readonly record struct Piece(string Source, int Start, int Length, Style Style, double Width);

    /// <summary>
    /// A fragment of the line being filled. While its text is one unbroken stretch of a source string it is kept as
    /// start and length, so a cell whose text fits becomes a fragment of the very same string, not a copy.
    /// </summary>
    private struct PendingFragment(Style style, double x, string source, int start, int length)
    {
        private readonly string _source = source;
        private readonly int _start = start;
        private int _length = length;
        private StringBuilder? _builder;

        public readonly Style Style { get; } = style;

        public readonly double X { get; } = x;

        public void Append(string text, int start, int length)
        {
            if (_builder is null && ReferenceEquals(text, _source) && start == _start + _length)
            {
                _length += length;
                return;
            }
            if (_builder is null)
            {
                // Not one stretch any more (a collapsed run of spaces, a tab, runs of one style): copy from here on.
                _builder = new StringBuilder(_length + length + 16);
                _builder.Append(_source, _start, _length);
            }
            _builder.Append(text, start, length);
        }

        public readonly string Text() =>
            _builder is not null ? _builder.ToString()
            : _start == 0 && _length == _source.Length ? _source
            : _source.Substring(_start, _length);
    }

    private sealed class WrapState
    {
        private readonly List<Piece> _word = [];
        private readonly List<Piece> _chars = [];
        private readonly List<PendingFragment> _line = [];
        private List<TextLine> _lines = [];
        private double _width;
        private double _emptySize;
        private double _x;
        private Style? _pendingSpace;
        private string _spaceSource = " ";
        private int _spaceIndex;

        public void Reset(double width, double emptySize)
        {
            _word.Clear();
            _chars.Clear();
            _line.Clear();
            _lines = [];
            _width = width;
            _emptySize = emptySize;
            _x = 0;
            _pendingSpace = null;
        }

        public void AddRun(string? raw, Style style)
        {
            var text = TextNormalizer.Normalize(raw);
            var i = 0;
            while (i < text.Length)
            {
                var c = text[i];
                if (c == '\n')
                {
                    FlushWord();
                    NewLine();
                    i++;
                }
                else if (IsBreakingSpace(c))
                {
                    FlushWord();
                    Space(style, text, i);
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
                    _word.Add(new Piece(text, i, end - i, style, TextMeasure.Width(text.AsSpan(i, end - i), style.Face) * style.Size));
                    i = end;
                }
            }
        }

        public List<TextLine> Finish()
        {
            FlushWord();
            NewLine();
            var lines = _lines;
            _lines = [];
            return lines;
        }

        private void Space(Style style, string text, int index)
        {
            // Spaces at the start of a line are dropped; runs of spaces count once, drawn as one plain space.
            if (_line.Count > 0 && _pendingSpace is null)
            {
                _pendingSpace = style;
                (_spaceSource, _spaceIndex) = text[index] == ' ' ? (text, index) : (" ", 0);
            }
        }

        private void NewLine()
        {
            Fragment[] fragments = _line.Count == 0 ? [] : new Fragment[_line.Count];
            for (var i = 0; i < _line.Count; i++)
            {
                var pending = _line[i];
                fragments[i] = new Fragment(pending.X, pending.Text(), pending.Style);
            }
            _lines.Add(new TextLine(fragments, _x, _emptySize));
            _line.Clear();
            _x = 0;
            _pendingSpace = null;
        }

        private void FlushWord()
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
            if (_x + spaceWidth + wordWidth <= _width + Epsilon)
            {
                if (spaceWidth > 0)
                {
                    Add(_spaceSource, _spaceIndex, 1, _pendingSpace!.Value, spaceWidth);
                }
                AddWhole();
            }
            else if (wordWidth <= _width + Epsilon)
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
            foreach (var piece in _word)
            {
                Add(piece.Source, piece.Start, piece.Length, piece.Style, piece.Width);
            }
        }

        /// <summary>The rare path: a word wider than the line, cut into line-wide pieces character by character.</summary>
        private void BreakLongWord()
        {
            _chars.Clear();
            foreach (var piece in _word)
            {
                var text = piece.Source;
                var end = piece.Start + piece.Length;
                for (var i = piece.Start; i < end; i++)
                {
                    // Keep surrogate pairs together.
                    var length = char.IsHighSurrogate(text[i]) && i + 1 < end ? 2 : 1;
                    _chars.Add(new Piece(text, i, length, piece.Style, TextMeasure.Width(text.AsSpan(i, length), piece.Style.Face) * piece.Style.Size));
                    i += length - 1;
                }
            }
            var start = 0;
            while (start < _chars.Count)
            {
                // Take as many characters as fit, at least one so the loop always advances.
                var stop = start;
                var used = _x;
                while (stop < _chars.Count && (stop == start || used + _chars[stop].Width <= _width + Epsilon))
                {
                    used += _chars[stop].Width;
                    stop++;
                }
                if (stop < _chars.Count)
                {
                    for (var k = stop - 1; k > start + ((stop - start) / 2); k--)
                    {
                        var candidate = _chars[k];
                        if (candidate.Length == 1 && PreferredBreaks.Contains(candidate.Source[candidate.Start]))
                        {
                            stop = k + 1;
                            break;
                        }
                    }
                }
                for (var k = start; k < stop; k++)
                {
                    var ch = _chars[k];
                    Add(ch.Source, ch.Start, ch.Length, ch.Style, ch.Width);
                }
                if (stop < _chars.Count)
                {
                    NewLine();
                }
                start = stop;
            }
            _chars.Clear();
        }

        private void Add(string text, int start, int length, Style style, double textWidth)
        {
            if (_line.Count > 0 && _line[^1].Style == style)
            {
                var last = _line[^1];
                last.Append(text, start, length);
                _line[^1] = last;
            }
            else
            {
                _line.Add(new PendingFragment(style, _x, text, start, length));
            }
            _x += textWidth;
        }
    }
}
