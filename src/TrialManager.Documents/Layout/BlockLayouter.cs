using System.Globalization;

namespace TrialManager.Documents.Layout;

/// <summary>Type sizes and spacing, in points, shared by all blocks so documents look alike.</summary>
internal static class Typography
{
    public const double Body = 9.5;
    public const double Small = 8;
    public const double Label = 6.5;
    public const double Table = 8.5;
    public const double TableCompact = 7.5;
    public const double Heading1 = 14;
    public const double Heading2 = 11.5;
    public const double BlockGap = 6;
    public const double LabelColumn = 0.33;
    public const double BoxGap = 4;
    public const double ChoiceGap = 14;

    public static readonly Style BodyText = new(Face.Sans, Body);
    public static readonly Style FieldCode = new(Face.Mono, 7, Ink.Gray);
}

/// <summary>
/// First pass of rendering: turns blocks into <see cref="Slice"/>s of known height for a frame of the given width.
/// Nothing is drawn here, so the page count is known before the first page is drawn.
/// </summary>
internal sealed class BlockLayouter(double width, double pageCapacity)
{
    private const int MaxLines = 40;

    public List<Slice> Layout(IEnumerable<Block> blocks)
    {
        var slices = new List<Slice>();
        foreach (var block in blocks)
        {
            slices.AddRange(Layout(block));
        }
        return slices;
    }

    private List<Slice> Layout(Block block) => block switch
    {
        Heading h => Heading(h),
        Paragraph p => Paragraph(p),
        KeyValueList kv => KeyValues(kv),
        Table t => Table(t),
        CheckBox c => CheckBox(c),
        ChoiceField c => ChoiceField(c),
        EntryField e => EntryField(e),
        SignatureBlock s => Signature(s),
        FieldGrid g => FieldGrid(g),
        BarChart b => BarChart(b),
        PageBreak => [new Slice(0) { BreakBefore = true }],
        KeepTogether k => KeepTogether(k),
        null => throw new ArgumentNullException(nameof(block)),
        _ => throw new NotSupportedException($"Block type {block.GetType().Name} cannot be laid out."),
    };

    private List<Slice> Heading(Heading heading)
    {
        if (heading.Level is < 1 or > 2)
        {
            throw new ArgumentOutOfRangeException(nameof(heading), heading.Level, "Heading level must be 1 or 2.");
        }
        var style = new Style(Face.SansBold, heading.Level == 1 ? Typography.Heading1 : Typography.Heading2);
        var slices = TextWrapper.Wrap(heading.Text, style, width).Select(l => Slice.Of(l)).ToList();
        if (heading.Level == 1)
        {
            slices.Add(new Slice(5, (dc, top) => dc.Rule(dc.Left, top + 1.5, dc.Width)));
        }
        slices[0].SpaceBefore = heading.Level == 1 ? 14 : 10;
        // A heading is never the last thing on a page.
        foreach (var slice in slices)
        {
            slice.KeepWithNext = true;
        }
        return slices;
    }

    private List<Slice> Paragraph(Paragraph paragraph)
    {
        var size = paragraph.Small ? Typography.Small : Typography.Body;
        var runs = paragraph.Runs.Select(r => new Run(r.Text, new Style(Style.FaceOf(r.Style), size))).ToList();
        var slices = TextWrapper.Wrap(runs, width, size).Select(l => Slice.Of(l)).ToList();
        slices[0].SpaceBefore = Typography.BlockGap;
        // No single first line at the bottom of a page, no single last line at the top of the next.
        if (slices.Count >= 2)
        {
            slices[0].KeepWithNext = true;
            slices[^2].KeepWithNext = true;
        }
        return slices;
    }

    private List<Slice> KeyValues(KeyValueList list)
    {
        if (list.LabelWidth is < 0.1 or > 0.9 || double.IsNaN(list.LabelWidth))
        {
            throw new ArgumentOutOfRangeException(nameof(list), list.LabelWidth, "LabelWidth must be between 0.1 and 0.9.");
        }
        var labelWidth = width * list.LabelWidth;
        var slices = new List<Slice>();
        foreach (var item in list.Rows)
        {
            var row = new Row { PadX = 2, PadY = 1.5, BottomRule = true };
            var label = new Cell(0, labelWidth);
            label.Lines.AddLines(TextWrapper.Wrap(item.Label, new Style(Face.Sans, Typography.Body, Ink.Gray), row.ContentWidth(label)));
            var value = new Cell(labelWidth, width - labelWidth);
            value.Lines.AddLines(TextWrapper.Wrap(item.Value, Typography.BodyText, row.ContentWidth(value)));
            row.Cells.Add(label);
            row.Cells.Add(value);
            slices.Add(new RowSlice(row));
        }
        SpaceFirst(slices);
        return slices;
    }

    private List<Slice> Table(Table table)
    {
        if (table.Columns.Count == 0)
        {
            throw new ArgumentException("A table needs at least one column.", nameof(table));
        }
        var xs = Columns(table.Columns.Select(c => c.Width).ToList(), nameof(table));
        var size = table.Compact ? Typography.TableCompact : Typography.Table;
        var slices = Caption(table.Title);
        var header = new RowSlice(TableRow(
            table.Columns.Select(c => c.Header).ToList(), table.Columns, xs, new Style(Face.SansBold, size), CellFill.Header))
        {
            KeepWithNext = true,
        };
        slices.Add(header);
        // A header so tall that repeating it would eat most of every page is shown once only.
        var repeat = header.Height <= pageCapacity / 3 ? header : null;
        for (var i = 0; i < table.Rows.Count; i++)
        {
            var row = table.Rows[i] ?? throw new ArgumentException($"Table row {i} is null.", nameof(table));
            if (row.Cells.Count != table.Columns.Count)
            {
                throw new ArgumentException(
                    $"Table row {i} has {row.Cells.Count} cells; the table has {table.Columns.Count} columns.", nameof(table));
            }
            var style = new Style(row.Bold ? Face.SansBold : Face.Sans, size);
            slices.Add(new RowSlice(TableRow(row.Cells, table.Columns, xs, style, CellFill.None)) { RepeatHeader = repeat });
        }
        SpaceFirst(slices);
        return slices;
    }

    private static Row TableRow(IReadOnlyList<string?> texts, IReadOnlyList<TableColumn> columns, double[] xs, Style style, CellFill fill)
    {
        var row = new Row { PadX = 3, PadY = 2 };
        // Tables are most of a long document's rows: sized once rather than grown.
        row.Cells.Capacity = columns.Count;
        for (var c = 0; c < columns.Count; c++)
        {
            var cell = new Cell(xs[c], xs[c + 1] - xs[c]) { Border = true, Fill = fill };
            var available = row.ContentWidth(cell);
            var lines = TextWrapper.Wrap(texts[c], style, available);
            foreach (var line in lines)
            {
                line.Align(columns[c].Alignment, available);
            }
            cell.Lines.AddLines(lines);
            row.Cells.Add(cell);
        }
        return row;
    }

    private List<Slice> CheckBox(CheckBox box)
    {
        var row = new Row { PadX = 0, PadY = 1.5 };
        var cell = new Cell(0, width);
        cell.Lines.AddLines(CheckLines(box.Label, box.FieldCode, box.Checked, Typography.BodyText, width));
        row.Cells.Add(cell);
        return [new RowSlice(row) { SpaceBefore = Typography.BlockGap / 2 }];
    }

    private List<Slice> ChoiceField(ChoiceField field)
    {
        var row = new Row { PadX = 2, PadY = 2 };
        var optionsX = 0.0;
        if (!string.IsNullOrWhiteSpace(field.Label) || !string.IsNullOrWhiteSpace(field.FieldCode))
        {
            optionsX = width * Typography.LabelColumn;
            var label = new Cell(0, optionsX);
            label.Lines.AddRange(LabelLines(field.Label, field.FieldCode, null, row.ContentWidth(label)));
            row.Cells.Add(label);
        }
        var options = new Cell(optionsX, width - optionsX);
        options.Lines.AddLines(FlowChoices(field.Options, Typography.BodyText, row.ContentWidth(options), field.Vertical));
        row.Cells.Add(options);
        return [new RowSlice(row) { SpaceBefore = Typography.BlockGap / 2 }];
    }

    private List<Slice> EntryField(EntryField field)
    {
        var row = new Row { PadX = 2, PadY = 2 };
        var labelWidth = width * Typography.LabelColumn;
        var label = new Cell(0, labelWidth);
        label.Lines.AddRange(LabelLines(field.Label, field.FieldCode, field.Hint, row.ContentWidth(label)));
        var box = new Cell(labelWidth, width - labelWidth) { Border = true };
        // Writing space as separate lines, so even a tall box can be split at a page end.
        var lines = Math.Clamp(field.Lines, 1, MaxLines);
        for (var i = 0; i < lines; i++)
        {
            box.Lines.Add(new GapLine(TextLine.HeightFor(Typography.Body) + 2));
        }
        row.Cells.Add(label);
        row.Cells.Add(box);
        return [new RowSlice(row) { SpaceBefore = Typography.BlockGap / 2 }];
    }

    private List<Slice> Signature(SignatureBlock block)
    {
        var row = new Row { PadX = 6, PadY = 5 };
        var cell = new Cell(0, width) { Border = true };
        var available = row.ContentWidth(cell);
        var labelStyle = new Style(Face.SansBold, Typography.Body);
        cell.Lines.AddLines(TextWrapper.Wrap(block.Caption, new Style(Face.SansBold, Typography.Small, Ink.Gray), available));
        if (block.Signature is { } signature)
        {
            var at = signature.SignedAtUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";
            foreach (var (name, value) in new[]
            {
                ("Signed by: ", signature.PrintedName),
                ("Date and time: ", at),
                ("Meaning: ", signature.Meaning),
            })
            {
                cell.Lines.AddLines(TextWrapper.Wrap([new Run(name, labelStyle), new Run(value, Typography.BodyText)], available, Typography.Body));
            }
            if (!string.IsNullOrWhiteSpace(signature.Note))
            {
                cell.Lines.AddLines(TextWrapper.Wrap(signature.Note, new Style(Face.Sans, Typography.Small, Ink.Gray), available));
            }
        }
        else
        {
            cell.Lines.AddLines(TextWrapper.Wrap("Not signed", new Style(Face.SansBold, Typography.Heading2), available));
        }
        row.Cells.Add(cell);
        return [new RowSlice(row) { SpaceBefore = Typography.BlockGap * 1.5 }];
    }

    private List<Slice> FieldGrid(FieldGrid grid)
    {
        var slices = new List<Slice>();
        if (!string.IsNullOrWhiteSpace(grid.Title))
        {
            var row = new Row { PadX = 3, PadY = 2 };
            var cell = new Cell(0, width) { Border = true, Fill = CellFill.Header };
            cell.Lines.AddLines(TextWrapper.Wrap(grid.Title, new Style(Face.SansBold, Typography.Small), row.ContentWidth(cell)));
            row.Cells.Add(cell);
            slices.Add(new RowSlice(row) { KeepWithNext = true });
        }
        var labelStyle = new Style(Face.Sans, Typography.Label, Ink.Gray);
        var codeStyle = Typography.FieldCode with { Size = Typography.Label };
        foreach (var gridRow in grid.Rows)
        {
            if (gridRow.Cells.Count == 0)
            {
                throw new ArgumentException("A field grid row needs at least one cell.", nameof(grid));
            }
            var xs = Columns(gridRow.Cells.Select(c => c.Width).ToList(), nameof(grid));
            var row = new Row { PadX = 3, PadY = 2 };
            for (var i = 0; i < gridRow.Cells.Count; i++)
            {
                var spec = gridRow.Cells[i];
                var cell = new Cell(xs[i], xs[i + 1] - xs[i]) { Border = true };
                var available = row.ContentWidth(cell);
                var runs = new List<Run> { new(spec.Label, labelStyle) };
                if (!string.IsNullOrWhiteSpace(spec.FieldCode))
                {
                    runs.Add(new Run(" [" + spec.FieldCode + "]", codeStyle));
                }
                cell.Lines.AddLines(TextWrapper.Wrap(runs, available, Typography.Label));
                var valueLines = new List<LineItem>();
                if (spec.Choices is { } choices)
                {
                    valueLines.AddLines(FlowChoices(choices, new Style(Face.Sans, Typography.Small), available, vertical: true));
                }
                else if (!string.IsNullOrEmpty(spec.Value))
                {
                    valueLines.AddLines(TextWrapper.Wrap(spec.Value, Typography.BodyText, available));
                }
                var minimum = Math.Clamp(spec.Lines, 1, MaxLines) * TextLine.HeightFor(Typography.Body);
                var valueHeight = valueLines.Sum(l => l.Height);
                while (valueHeight < minimum - 0.01)
                {
                    var gap = new GapLine(Math.Min(TextLine.HeightFor(Typography.Body), minimum - valueHeight));
                    valueLines.Add(gap);
                    valueHeight += gap.Height;
                }
                cell.Lines.AddRange(valueLines);
                row.Cells.Add(cell);
            }
            slices.Add(new RowSlice(row));
        }
        SpaceFirst(slices);
        return slices;
    }

    private List<Slice> BarChart(BarChart chart)
    {
        foreach (var item in chart.Items)
        {
            if (!double.IsFinite(item.Value) || item.Value < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(chart), item.Value, $"Bar '{item.Label}' needs a finite value of zero or more.");
            }
        }
        if (chart.Maximum is { } given && (!double.IsFinite(given) || given <= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(chart), given, "Chart maximum must be a finite value above zero.");
        }
        var maximum = chart.Maximum ?? chart.Items.Select(i => i.Value).DefaultIfEmpty(0).Max();
        if (maximum <= 0)
        {
            maximum = 1;
        }
        var slices = Caption(chart.Title);
        var style = new Style(Face.Sans, Typography.Table);
        var labelWidth = width * 0.3;
        var valueX = width * 0.82;
        foreach (var item in chart.Items)
        {
            var row = new Row { PadX = 3, PadY = 1.5 };
            var label = new Cell(0, labelWidth);
            label.Lines.AddLines(TextWrapper.Wrap(item.Label, style, row.ContentWidth(label)));
            var bar = new Cell(labelWidth, valueX - labelWidth) { LeftRule = true };
            var barRoom = row.ContentWidth(bar);
            bar.Lines.Add(new BarLine(Math.Min(1, item.Value / maximum) * barRoom, TextLine.HeightFor(style.Size)));
            var value = new Cell(valueX, width - valueX);
            value.Lines.AddLines(TextWrapper.Wrap(item.DisplayValue ?? FormatValue(item.Value, chart.Unit), style, row.ContentWidth(value)));
            row.Cells.Add(label);
            row.Cells.Add(bar);
            row.Cells.Add(value);
            slices.Add(new RowSlice(row));
        }
        var scale = $"Full bar = {FormatValue(maximum, chart.Unit)}";
        slices.AddRange(TextWrapper.Wrap(scale, new Style(Face.Sans, Typography.Label, Ink.Gray), width).Select(l => Slice.Of(l, labelWidth)));
        SpaceFirst(slices);
        // A chart reads as one figure: keep it on one page when it fits on one.
        for (var i = 0; i < slices.Count - 1; i++)
        {
            slices[i].KeepWithNext = true;
        }
        return slices;
    }

    private List<Slice> KeepTogether(KeepTogether group)
    {
        var slices = Layout(group.Blocks);
        for (var i = 0; i < slices.Count - 1; i++)
        {
            slices[i].KeepWithNext = true;
        }
        return slices;
    }

    /// <summary>Bold caption lines of a table or chart, kept with what follows.</summary>
    private List<Slice> Caption(string? title)
    {
        if (string.IsNullOrWhiteSpace(title))
        {
            return [];
        }
        var slices = TextWrapper.Wrap(title, new Style(Face.SansBold, Typography.Body), width).Select(l => Slice.Of(l)).ToList();
        slices.ForEach(s => s.KeepWithNext = true);
        return slices;
    }

    private static string FormatValue(double value, string? unit)
    {
        var text = value.ToString("0.###", CultureInfo.InvariantCulture);
        return string.IsNullOrWhiteSpace(unit) ? text : text + " " + unit;
    }

    /// <summary>Label of a form field with its field code and hint in small print below.</summary>
    private static List<LineItem> LabelLines(string? label, string? code, string? hint, double available)
    {
        var lines = new List<LineItem>();
        lines.AddLines(TextWrapper.Wrap(label, Typography.BodyText, available));
        if (!string.IsNullOrWhiteSpace(hint))
        {
            lines.AddLines(TextWrapper.Wrap(hint, new Style(Face.SansItalic, Typography.Small, Ink.Gray), available));
        }
        if (!string.IsNullOrWhiteSpace(code))
        {
            lines.AddLines(TextWrapper.Wrap("[" + code + "]", Typography.FieldCode, available));
        }
        return lines;
    }

    /// <summary>A check box followed by its label; wrapped label lines are indented past the box.</summary>
    private static List<TextLine> CheckLines(string? label, string? code, bool isChecked, Style style, double available)
    {
        var boxSize = style.Size * 0.9;
        var indent = boxSize + Typography.BoxGap;
        // Answer options (most boxes) have no field code: one run, no list of runs.
        var lines = string.IsNullOrWhiteSpace(code)
            ? TextWrapper.Wrap(label, style, available - indent)
            : TextWrapper.Wrap([new Run(label ?? "", style), new Run(" [" + code + "]", Typography.FieldCode)], available - indent, style.Size);
        foreach (var line in lines)
        {
            line.OffsetX = indent;
        }
        lines[0].Boxes.Add(new BoxMark(-indent, boxSize, isChecked));
        return lines;
    }

    /// <summary>Options side by side, wrapping to further lines; an option too long for a line gets lines of its own.</summary>
    private static List<TextLine> FlowChoices(IReadOnlyList<Choice> choices, Style style, double available, bool vertical)
    {
        var lines = new List<TextLine>();
        var fragments = new List<Fragment>();
        var boxes = new List<BoxMark>();
        double x = 0;

        void Finish()
        {
            if (boxes.Count == 0)
            {
                return;
            }
            var line = new TextLine([.. fragments], x, style.Size);
            line.Boxes.AddRange(boxes);
            lines.Add(line);
            fragments.Clear();
            boxes.Clear();
            x = 0;
        }

        foreach (var choice in choices)
        {
            var own = CheckLines(choice.Label, null, choice.Selected, style, available);
            var single = own.Count == 1 && !vertical;
            var start = x == 0 ? 0 : x + Typography.ChoiceGap;
            var needed = own[0].OffsetX + own[0].Width;
            if (!single || start + needed > available + 0.01)
            {
                Finish();
                start = 0;
            }
            if (!single)
            {
                lines.AddRange(own);
                continue;
            }
            var first = own[0];
            for (var f = 0; f < first.Fragments.Count; f++)
            {
                var fragment = first.Fragments[f];
                fragments.Add(fragment with { X = fragment.X + start + first.OffsetX });
            }
            boxes.Add(new BoxMark(start, own[0].Boxes[0].Size, choice.Selected));
            x = start + needed;
        }
        Finish();
        if (lines.Count == 0)
        {
            lines.Add(new TextLine([], 0, style.Size));
        }
        return lines;
    }

    /// <summary>Left edges of columns with relative widths, plus the right edge of the last one.</summary>
    private double[] Columns(List<double> relative, string parameter)
    {
        if (relative.Any(w => !double.IsFinite(w) || w <= 0))
        {
            throw new ArgumentException("Column widths must be finite and above zero.", parameter);
        }
        var total = relative.Sum();
        var xs = new double[relative.Count + 1];
        for (var i = 0; i < relative.Count; i++)
        {
            xs[i + 1] = xs[i] + (width * relative[i] / total);
        }
        xs[^1] = width;
        return xs;
    }

    private static void SpaceFirst(List<Slice> slices)
    {
        if (slices.Count > 0)
        {
            slices[0].SpaceBefore = Typography.BlockGap;
        }
    }
}
