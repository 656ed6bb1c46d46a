namespace TrialManager.Documents;

/// <summary>
/// The logical content of one PDF: header context, an optional banner and a list of blocks. Build it first, then
/// hand it to <see cref="PdfRenderer.Render"/>; the renderer lays it out completely before drawing a page, so the
/// footer can say "Page X of Y".
/// </summary>
public sealed class ReportDocument
{
    /// <summary>The header shows at most this many context items (e.g. Trial, Site, Participant, Visit).</summary>
    public const int MaxContextItems = 4;

    public ReportDocument(string title)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        Title = title;
    }

    /// <summary>First line of every page header and the PDF Title.</summary>
    public string Title { get; }

    /// <summary>PDF Subject metadata (e.g. "Visit case report form").</summary>
    public string? Subject { get; set; }

    /// <summary>Printed prominently on every page, e.g. "CONFIDENTIAL - UNBLINDED".</summary>
    public string? Banner { get; set; }

    public PageOrientation Orientation { get; set; } = PageOrientation.Portrait;

    /// <summary>Label/value pairs under the title of every page header, in order.</summary>
    public IList<ContextItem> Context { get; } = [];

    public IList<Block> Blocks { get; } = [];

    public ReportDocument AddContext(string label, string value)
    {
        Context.Add(new ContextItem(label, value));
        return this;
    }

    public ReportDocument Add(params Block[] blocks)
    {
        foreach (var block in blocks)
        {
            ArgumentNullException.ThrowIfNull(block);
            Blocks.Add(block);
        }
        return this;
    }

    /// <summary>
    /// SHA-256 (lower-case hex) of the canonical serialization of the logical content: title, subject, banner,
    /// header context and every block's text and values. Layout-only settings, generation time, document id and
    /// software version are left out, so identical content always gives the identical hash.
    /// </summary>
    public string ComputeContentHash() => ContentHasher.Compute(this);
}

public enum PageOrientation
{
    Portrait,
    Landscape,
}

public sealed record ContextItem(string Label, string Value);
