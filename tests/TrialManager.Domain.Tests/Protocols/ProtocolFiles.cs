using TrialManager.Domain.Protocols;

namespace TrialManager.Domain.Tests.Protocols;

/// <summary>Reads protocol files: the shipped ones the test project copies next to the assembly, and the test samples.</summary>
internal static class ProtocolFiles
{
    public static ProtocolLoadResult Load(string shippedFile) =>
        ProtocolLoader.Load(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "protocols", shippedFile)), shippedFile);

    /// <summary>Test-only protocols, copied to the output beside the assembly.</summary>
    public static string Sample(string name) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Protocols", "Samples", name));

    /// <summary>The format description (protocols/README.md), copied beside the shipped protocols.</summary>
    public static string FormatReadme() =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "protocols", "README.md"));
}
