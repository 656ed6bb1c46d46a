using Microsoft.AspNetCore.Components;

namespace TrialManager.Web.Account;

/// <summary>Redirects from server-rendered forms, only ever to a path on this site (no open redirects).</summary>
public sealed class RedirectManager(NavigationManager navigation)
{
    public void RedirectTo(string? uri) => navigation.NavigateTo(SafeLocalPath(uri));

    /// <summary>A local absolute path such as "/sites/1?x=y"; anything else (other hosts, "//", "/\", control characters) becomes "/".</summary>
    public static string SafeLocalPath(string? uri)
    {
        if (string.IsNullOrEmpty(uri) || uri.Length > 2048 || uri[0] != '/')
        {
            return "/";
        }

        if (uri.Length > 1 && (uri[1] == '/' || uri[1] == '\\'))
        {
            return "/";
        }

        // Browsers drop tabs and newlines inside URLs, so "/\t/evil.example" would become "//evil.example".
        return uri.Any(c => char.IsControl(c) || c == '\\') ? "/" : uri;
    }
}
