namespace TrialManager.Documents;

/// <summary>
/// What the footer says besides the page numbers. Supplied by the caller (never read from the clock inside the
/// layer) so output is reproducible and testable; none of it enters the content hash.
/// </summary>
public sealed record RenderOptions(string DocumentId, DateTimeOffset GeneratedAtUtc, string SoftwareVersion);

/// <summary>The rendered PDF, the SHA-256 of the document's logical content and the number of pages.</summary>
public sealed record RenderedPdf(byte[] Bytes, string ContentHash, int PageCount)
{
    /// <summary>Number of hex characters of the content hash printed in the footer.</summary>
    public const int FooterHashLength = 16;

    /// <summary>The prefix of <see cref="ContentHash"/> shown in every footer.</summary>
    public string ContentHashPrefix => ContentHash[..FooterHashLength];
}
