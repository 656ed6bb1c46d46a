using PdfSharp;
using PdfSharp.Fonts;
using TrialManager.Documents.Rendering;

namespace TrialManager.Documents;

/// <summary>
/// One-time, process-wide PDFsharp setup: the AGPL license (the project is AGPL; without a license every document
/// throws) and the DejaVu font resolver. PDFsharp wants its resolver set once, before any font is used, so it is set
/// here under a lock and never replaced.
/// </summary>
public static class PdfEnvironment
{
    private static readonly Lock Gate = new();
    private static DejaVuFontResolver? _resolver;

    /// <summary>Font directory in use (after <see cref="EnsureInitialized"/>).</summary>
    public static string? FontDirectory => Volatile.Read(ref _resolver)?.Directory;

    /// <summary>
    /// Sets the license and the font resolver if not done yet. Safe to call from many threads; call it at start-up to
    /// fail early when the fonts are missing. Throws <see cref="InvalidOperationException"/> naming the Debian
    /// package and the environment variable when the fonts cannot be found.
    /// </summary>
    public static void EnsureInitialized()
    {
        if (Volatile.Read(ref _resolver) is not null)
        {
            return;
        }
        lock (Gate)
        {
            if (_resolver is not null)
            {
                return;
            }
            PdfSharpLicense.SetAgplLicense();
            var resolver = DejaVuFontResolver.Load(DejaVuFontResolver.ConfiguredDirectory());
            if (GlobalFontSettings.FontResolver is { } existing)
            {
                throw new InvalidOperationException(
                    $"PDFsharp already has a font resolver ({existing.GetType().FullName}); TrialManager.Documents " +
                    "sets its own and must be the only code that does.");
            }
            GlobalFontSettings.FontResolver = resolver;
            Volatile.Write(ref _resolver, resolver);
        }
    }
}
