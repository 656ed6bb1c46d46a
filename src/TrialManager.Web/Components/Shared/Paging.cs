namespace TrialManager.Web.Components.Shared;

/// <summary>Page numbers from a query string, made safe: anything missing, negative or past the end shows a real page.</summary>
public static class Paging
{
    /// <remarks>The page number arrives as text: a typed query parameter would make "?page=abc" a server error.</remarks>
    public static int Clamp(string? requested, int total, int pageSize)
    {
        var last = Math.Max(1, (int)Math.Ceiling(total / (double)pageSize));
        return int.TryParse(requested, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var page)
            ? Math.Clamp(page, 1, last)
            : requested is { Length: > 0 } && requested.TrimStart('+').All(char.IsAsciiDigit) ? last : 1;
    }
}
