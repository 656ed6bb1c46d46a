namespace TrialManager.Domain.Protocols;

internal static class Numbers
{
    /// <summary>Drops trailing zeros (1.50 becomes 1.5), so equal numbers print, store and hash alike.</summary>
    public static decimal Normalize(decimal value) => value / 1.0000000000000000000000000000m;
}
