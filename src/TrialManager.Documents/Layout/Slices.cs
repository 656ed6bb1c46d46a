using System.Diagnostics.CodeAnalysis;
using TrialManager.Documents.Rendering;

namespace TrialManager.Documents.Layout;

/// <summary>
/// A full-width strip of laid-out content: the unit the paginator places. Every block becomes a list of slices.
/// </summary>
internal class Slice
{
    private readonly Action<DrawContext, double>? _draw;

    public Slice(double height, Action<DrawContext, double>? draw = null)
    {
        Height = height;
        _draw = draw;
    }

    public double Height { get; }

    /// <summary>Gap above the slice; dropped at the top of a page.</summary>
    public double SpaceBefore { get; set; }

    /// <summary>Keep on the same page as the next slice when the pair (or chain) fits on one page.</summary>
    public bool KeepWithNext { get; set; }

    /// <summary>Start a new page here (a <see cref="PageBreak"/> block).</summary>
    public bool BreakBefore { get; init; }

    /// <summary>Drawn first on every page this slice continues onto (a table's header row).</summary>
    public Slice? RepeatHeader { get; set; }

    /// <summary>Draws the slice with its top at y; x and width come from <paramref name="dc"/>.</summary>
    public virtual void Draw(DrawContext dc, double top) => _draw?.Invoke(dc, top);

    /// <summary>Splits off a head no taller than <paramref name="available"/>, if the slice can be split at all.</summary>
    public virtual bool TrySplit(double available, [NotNullWhen(true)] out Slice? head, [NotNullWhen(true)] out Slice? tail)
    {
        head = null;
        tail = null;
        return false;
    }

    public static Slice Of(LineItem line, double indent = 0) => new LineSlice(line, indent);

    /// <summary>One line across the frame; a class of its own rather than a closure per line.</summary>
    private sealed class LineSlice(LineItem line, double indent) : Slice(line.Height)
    {
        public override void Draw(DrawContext dc, double top) => line.Draw(dc, dc.Left + indent, top);
    }
}

/// <summary>One cell of a <see cref="Row"/>; <see cref="X"/> is relative to the frame's left edge.</summary>
internal sealed class Cell(double x, double width)
{
    public double X { get; } = x;

    public double Width { get; } = width;

    public List<LineItem> Lines { get; } = [];

    public bool Border { get; init; }

    /// <summary>Background of the cell, drawn under its text.</summary>
    public CellFill Fill { get; init; }

    /// <summary>A vertical rule on the cell's left edge (the axis of a bar chart).</summary>
    public bool LeftRule { get; init; }
}

internal enum CellFill
{
    None,
    Header,
    Banner,
}

/// <summary>Cells side by side; the row is as tall as its tallest cell.</summary>
internal sealed class Row
{
    public List<Cell> Cells { get; } = [];

    public double PadX { get; init; } = 3;

    public double PadY { get; init; } = 2;

    /// <summary>A light rule under the row (key-value lists).</summary>
    public bool BottomRule { get; init; }

    public double ContentWidth(Cell cell) => Math.Max(1, cell.Width - (2 * PadX));
}

/// <summary>
/// A row, or the part of it from line <c>start[i]</c> to <c>end[i]</c> of every cell i. A row taller than what is
/// left on the page is split between lines, each cell at its own line boundary, and the pieces are drawn as boxes
/// of their own, so nothing is ever drawn outside the frame.
/// </summary>
internal sealed class RowSlice : Slice
{
    private readonly Row _row;
    private readonly int[] _start;
    private readonly int[] _end;

    public RowSlice(Row row)
        : this(row, new int[row.Cells.Count], LineCounts(row))
    {
    }

    private RowSlice(Row row, int[] start, int[] end)
        : base(MeasureHeight(row, start, end))
    {
        _row = row;
        _start = start;
        _end = end;
    }

    public override void Draw(DrawContext dc, double top)
    {
        for (var i = 0; i < _row.Cells.Count; i++)
        {
            var cell = _row.Cells[i];
            var left = dc.Left + cell.X;
            dc.CellBox(left, top, cell.Width, Height, cell.Fill, cell.Border, cell.LeftRule);
            var y = top + _row.PadY;
            for (var k = _start[i]; k < _end[i]; k++)
            {
                var line = cell.Lines[k];
                line.Draw(dc, left + _row.PadX, y);
                y += line.Height;
            }
        }
        if (_row.BottomRule)
        {
            dc.LightRule(dc.Left, top + Height, dc.Width);
        }
    }

    public override bool TrySplit(double available, [NotNullWhen(true)] out Slice? head, [NotNullWhen(true)] out Slice? tail)
    {
        head = null;
        tail = null;
        var inner = available - (2 * _row.PadY);
        var middle = new int[_start.Length];
        var anyTaken = false;
        var allTaken = true;
        for (var i = 0; i < _start.Length; i++)
        {
            var lines = _row.Cells[i].Lines;
            var k = _start[i];
            double used = 0;
            while (k < _end[i] && used + lines[k].Height <= inner)
            {
                used += lines[k].Height;
                k++;
            }
            middle[i] = k;
            anyTaken |= k > _start[i];
            allTaken &= k == _end[i];
        }
        if (!anyTaken || allTaken)
        {
            return false;
        }
        head = new RowSlice(_row, _start, middle) { SpaceBefore = SpaceBefore, RepeatHeader = RepeatHeader };
        tail = new RowSlice(_row, middle, _end) { KeepWithNext = KeepWithNext, RepeatHeader = RepeatHeader };
        return true;
    }

    private static int[] LineCounts(Row row)
    {
        var counts = new int[row.Cells.Count];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = row.Cells[i].Lines.Count;
        }
        return counts;
    }

    private static double MeasureHeight(Row row, int[] start, int[] end)
    {
        double tallest = 0;
        for (var i = 0; i < row.Cells.Count; i++)
        {
            double h = 0;
            for (var k = start[i]; k < end[i]; k++)
            {
                h += row.Cells[i].Lines[k].Height;
            }
            tallest = Math.Max(tallest, h);
        }
        return tallest + (2 * row.PadY);
    }
}

internal sealed record PlacedSlice(Slice Slice, double Top);

/// <summary>
/// Places slices on pages of a fixed body height. Rules, in order: a page break starts a page; a slice that fits is
/// placed, unless it starts a keep-with-next chain that would fit on a fresh page but not here; a slice that does
/// not fit moves to the next page if it fits on a fresh one, and is otherwise split at the space left. Pages that
/// continue a table start with its header row.
/// </summary>
internal static class Paginator
{
    public static List<List<PlacedSlice>> Paginate(IReadOnlyList<Slice> slices, double capacity)
    {
        var pages = new List<List<PlacedSlice>> { new() };
        double y = 0;
        var hasContent = false;
        Slice? carried = null;
        var next = 0;

        void NewPage(Slice? upcoming)
        {
            pages.Add([]);
            y = 0;
            hasContent = false;
            if (upcoming?.RepeatHeader is { } header)
            {
                pages[^1].Add(new PlacedSlice(header, 0));
                y = header.Height;
            }
        }

        void Place(Slice slice, double space)
        {
            pages[^1].Add(new PlacedSlice(slice, y + space));
            y += space + slice.Height;
            hasContent = true;
        }

        while (carried is not null || next < slices.Count)
        {
            var slice = carried ?? slices[next++];
            carried = null;
            if (slice.BreakBefore)
            {
                if (hasContent)
                {
                    NewPage(null);
                }
                continue;
            }
            var space = hasContent ? slice.SpaceBefore : 0;
            var remaining = capacity - y;
            var fresh = capacity - (slice.RepeatHeader?.Height ?? 0);
            if (space + slice.Height <= remaining)
            {
                if (hasContent && slice.KeepWithNext)
                {
                    var chain = ChainHeight(slice, slices, next, capacity);
                    if (space + chain > remaining && chain <= fresh)
                    {
                        NewPage(slice);
                        space = 0;
                    }
                }
                Place(slice, space);
            }
            else if (hasContent && slice.Height <= fresh)
            {
                NewPage(slice);
                Place(slice, 0);
            }
            else if (slice.TrySplit(remaining - space, out var head, out var tail))
            {
                Place(head, space);
                carried = tail;
                NewPage(tail);
            }
            else if (hasContent)
            {
                NewPage(slice);
                carried = slice;
            }
            else
            {
                // Only a slice that is taller than a page and cannot be split gets here; the block layouts never
                // make one, so this is a bug rather than a document to draw over the footer.
                throw new InvalidOperationException(
                    $"A layout slice of {slice.Height:0.#} pt does not fit a page body of {capacity:0.#} pt and cannot be split.");
            }
        }
        if (pages.Count > 1 && pages[^1].Count == 0)
        {
            pages.RemoveAt(pages.Count - 1);
        }
        return pages;
    }

    private static double ChainHeight(Slice first, IReadOnlyList<Slice> slices, int next, double capacity)
    {
        var height = first.Height;
        var current = first;
        while (current.KeepWithNext && next < slices.Count && !slices[next].BreakBefore && height <= capacity)
        {
            current = slices[next++];
            height += current.SpaceBefore + current.Height;
        }
        return height;
    }
}
