namespace TrialManager.Documents;

/// <summary>One piece of document content. Blocks are immutable descriptions; the renderer lays them out.</summary>
public abstract record Block;

/// <summary>A section heading (level 1 or 2). It is always kept on the same page as what follows it.</summary>
public sealed record Heading(string Text, int Level = 1) : Block;

public enum TextStyle
{
    Regular,
    Bold,
    Italic,
    BoldItalic,
    Mono,
}

public sealed record TextRun(string Text, TextStyle Style = TextStyle.Regular);

/// <summary>Wrapping text made of styled runs; "\n" starts a new line.</summary>
public sealed record Paragraph(IReadOnlyList<TextRun> Runs) : Block
{
    public Paragraph(string text, TextStyle style = TextStyle.Regular)
        : this([new TextRun(text, style)])
    {
    }

    public Paragraph(params TextRun[] runs)
        : this((IReadOnlyList<TextRun>)runs)
    {
    }

    /// <summary>Smaller type, e.g. for footnotes and explanations.</summary>
    public bool Small { get; init; }
}

/// <summary>"Label: value" rows; long values wrap within their column.</summary>
public sealed record KeyValueList(IReadOnlyList<KeyValueRow> Rows) : Block
{
    public KeyValueList(params KeyValueRow[] rows)
        : this((IReadOnlyList<KeyValueRow>)rows)
    {
    }

    /// <summary>Share of the width given to the labels (0.1 to 0.9).</summary>
    public double LabelWidth { get; init; } = 0.33;
}

public sealed record KeyValueRow(string Label, string? Value);

public enum CellAlignment
{
    Left,
    Center,
    Right,
}

/// <summary>A table column; <paramref name="Width"/> is relative to the other columns' widths.</summary>
public sealed record TableColumn(string Header, double Width = 1, CellAlignment Alignment = CellAlignment.Left);

public sealed record TableRow(IReadOnlyList<string?> Cells)
{
    public TableRow(params string?[] cells)
        : this((IReadOnlyList<string?>)cells)
    {
    }

    /// <summary>Bold row, e.g. totals.</summary>
    public bool Bold { get; init; }
}

/// <summary>
/// A table with a header row. A row that does not fit moves to the next page and the header row is repeated at the
/// top of every continued page; a row taller than a page is split between its lines.
/// </summary>
public sealed record Table(IReadOnlyList<TableColumn> Columns, IReadOnlyList<TableRow> Rows) : Block
{
    /// <summary>Optional caption above the table, kept with the header row.</summary>
    public string? Title { get; init; }

    /// <summary>Smaller type for long listings such as an audit trail.</summary>
    public bool Compact { get; init; }
}

/// <summary>One check box with its label, drawn checked (with an "X") or empty.</summary>
public sealed record CheckBox(string Label, bool Checked, string? FieldCode = null) : Block;

public sealed record Choice(string Label, bool Selected = false);

/// <summary>
/// A labelled choice field: one box per option. With every option unselected it is the blank-CRF form of the field.
/// </summary>
public sealed record ChoiceField(string Label, IReadOnlyList<Choice> Options, string? FieldCode = null) : Block
{
    /// <summary>One option per line instead of flowing them side by side.</summary>
    public bool Vertical { get; init; }
}

/// <summary>
/// A labelled empty box to write in (blank CRF), with an optional field code annotation and a hint such as the unit
/// or date format. <paramref name="Lines"/> is the writing space in text lines (1 to 40).
/// </summary>
public sealed record EntryField(string Label, string? FieldCode = null, string? Hint = null, int Lines = 1) : Block;

/// <summary>The manifestation of an electronic signature: printed name, UTC time and meaning.</summary>
public sealed record SignatureDetails(string PrintedName, DateTimeOffset SignedAtUtc, string Meaning)
{
    /// <summary>Optional extra line, e.g. what the signature is bound to.</summary>
    public string? Note { get; init; }
}

/// <summary>A boxed signature manifestation, or a clear "Not signed" when <paramref name="Signature"/> is null.</summary>
public sealed record SignatureBlock(SignatureDetails? Signature, string Caption = "Electronic signature") : Block;

/// <summary>
/// One labelled box of a <see cref="FieldGrid"/>. It shows <see cref="Value"/>, or check boxes when
/// <see cref="Choices"/> is set, or blank writing space of <see cref="Lines"/> lines.
/// </summary>
public sealed record FieldGridCell(string Label, string? Value = null, double Width = 1)
{
    public string? FieldCode { get; init; }

    public IReadOnlyList<Choice>? Choices { get; init; }

    /// <summary>Minimum number of value lines, e.g. writing space on a blank form.</summary>
    public int Lines { get; init; } = 1;
}

public sealed record FieldGridRow(IReadOnlyList<FieldGridCell> Cells)
{
    public FieldGridRow(params FieldGridCell[] cells)
        : this((IReadOnlyList<FieldGridCell>)cells)
    {
    }
}

/// <summary>Rows of labelled boxes with relative widths, like the boxes of a CIOMS-I form.</summary>
public sealed record FieldGrid(IReadOnlyList<FieldGridRow> Rows) : Block
{
    public FieldGrid(params FieldGridRow[] rows)
        : this((IReadOnlyList<FieldGridRow>)rows)
    {
    }

    /// <summary>Optional section title drawn as a shaded band above the boxes.</summary>
    public string? Title { get; init; }
}

/// <summary>One bar; <paramref name="DisplayValue"/> replaces the formatted value when set.</summary>
public sealed record BarChartItem(string Label, double Value, string? DisplayValue = null);

/// <summary>A horizontal bar chart: one labelled bar per item, values are zero or more.</summary>
public sealed record BarChart(IReadOnlyList<BarChartItem> Items) : Block
{
    public BarChart(params BarChartItem[] items)
        : this((IReadOnlyList<BarChartItem>)items)
    {
    }

    public string? Title { get; init; }

    /// <summary>Unit appended to formatted values, e.g. "events".</summary>
    public string? Unit { get; init; }

    /// <summary>Value of a full-length bar; defaults to the largest value.</summary>
    public double? Maximum { get; init; }
}

/// <summary>Starts a new page (no effect at the top of a page).</summary>
public sealed record PageBreak : Block;

/// <summary>Blocks kept on one page when they fit on one; longer groups flow normally.</summary>
public sealed record KeepTogether(IReadOnlyList<Block> Blocks) : Block
{
    public KeepTogether(params Block[] blocks)
        : this((IReadOnlyList<Block>)blocks)
    {
    }
}
