using PdfSharp.Fonts;

namespace TrialManager.Documents.Rendering;

/// <summary>
/// Serves DejaVu Sans and DejaVu Sans Mono from a font directory. PDFsharp has no system fonts on Linux, so it needs
/// this. Font bytes are read once at construction and never change afterwards, which makes the resolver safe to
/// call from any thread.
/// </summary>
internal sealed class DejaVuFontResolver : IFontResolver
{
    public const string SansFamily = "DejaVu Sans";
    public const string MonoFamily = "DejaVu Sans Mono";
    public const string DirectoryVariable = "TRIALMANAGER_FONT_DIR";
    public const string DefaultDirectory = "/usr/share/fonts/truetype/dejavu";

    private const string Regular = "DejaVuSans";
    private const string Bold = "DejaVuSans-Bold";
    private const string Oblique = "DejaVuSans-Oblique";
    private const string BoldOblique = "DejaVuSans-BoldOblique";
    private const string Mono = "DejaVuSansMono";

    // fonts-dejavu-core carries these three; the obliques come with fonts-dejavu-extra and are optional
    // (PDFsharp slants the upright face when they are absent).
    private static readonly string[] RequiredFaces = [Regular, Bold, Mono];
    private static readonly string[] OptionalFaces = [Oblique, BoldOblique];

    private readonly Dictionary<string, byte[]> _faces;

    private DejaVuFontResolver(string directory, Dictionary<string, byte[]> faces)
    {
        Directory = directory;
        _faces = faces;
    }

    public string Directory { get; }

    public bool HasObliqueFaces => _faces.ContainsKey(Oblique) && _faces.ContainsKey(BoldOblique);

    public static string ConfiguredDirectory() => DirectoryFrom(Environment.GetEnvironmentVariable(DirectoryVariable));

    public static string DirectoryFrom(string? configured) =>
        string.IsNullOrWhiteSpace(configured) ? DefaultDirectory : configured;

    public static DejaVuFontResolver Load(string directory)
    {
        var faces = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var face in RequiredFaces)
        {
            var path = Path.Combine(directory, face + ".ttf");
            if (File.Exists(path))
            {
                faces[face] = File.ReadAllBytes(path);
            }
            else
            {
                missing.Add(face + ".ttf");
            }
        }
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"PDF documents need the DejaVu fonts, but '{directory}' lacks {string.Join(", ", missing)}. " +
                $"Install the Debian package fonts-dejavu-core (apt-get install fonts-dejavu-core), or set the " +
                $"environment variable {DirectoryVariable} to a directory holding DejaVuSans.ttf, " +
                "DejaVuSans-Bold.ttf and DejaVuSansMono.ttf.");
        }
        foreach (var face in OptionalFaces)
        {
            var path = Path.Combine(directory, face + ".ttf");
            if (File.Exists(path))
            {
                faces[face] = File.ReadAllBytes(path);
            }
        }
        return new DejaVuFontResolver(directory, faces);
    }

    public FontResolverInfo? ResolveTypeface(string familyName, bool bold, bool italic)
    {
        // Any family other than the mono one gets DejaVu Sans rather than nothing: a missing glyph box is better
        // than an exception in the middle of a document.
        if (familyName.Equals(MonoFamily, StringComparison.OrdinalIgnoreCase))
        {
            return new FontResolverInfo(Mono, false, italic);
        }
        if (!italic)
        {
            return new FontResolverInfo(bold ? Bold : Regular);
        }
        var obliqueFace = bold ? BoldOblique : Oblique;
        return _faces.ContainsKey(obliqueFace)
            ? new FontResolverInfo(obliqueFace)
            : new FontResolverInfo(bold ? Bold : Regular, false, true);
    }

    public byte[]? GetFont(string faceName) => _faces.GetValueOrDefault(faceName);
}
