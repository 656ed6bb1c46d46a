namespace TrialManager.Web.Components.Shared;

/// <summary>
/// A one-shot message carried across a redirect (post, redirect, get) in a short-lived cookie, e.g. "Password changed".
/// It holds only fixed wording from the app, never record data.
/// </summary>
public sealed class StatusCookie(IHttpContextAccessor accessor)
{
    public const string CookieName = "tm.status";

    public void Set(string message)
    {
        var context = accessor.HttpContext ?? throw new InvalidOperationException("No request.");
        context.Response.Cookies.Append(CookieName, message, new CookieOptions
        {
            HttpOnly = true,
            Secure = context.Request.IsHttps,
            SameSite = SameSiteMode.Strict,
            IsEssential = true,
            MaxAge = TimeSpan.FromSeconds(30),
        });
    }

    /// <summary>Reads and clears the message.</summary>
    public string? Take()
    {
        var context = accessor.HttpContext;
        if (context is null || !context.Request.Cookies.TryGetValue(CookieName, out var message))
        {
            return null;
        }

        context.Response.Cookies.Delete(CookieName);
        return message;
    }
}
