using System.Net;
using Microsoft.AspNetCore.Diagnostics;
using TrialManager.Web.Data;

namespace TrialManager.Web.Hosting;

/// <summary>
/// A write that reached a locked trial (a page opened before the lock, a form posted by hand) ends on a plain 409 page
/// that says why and that nothing was saved, never on an error page.
/// </summary>
public sealed class TrialLockedHandler(ILogger<TrialLockedHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if ((exception as TrialLockedException ?? exception.InnerException as TrialLockedException) is not { } locked)
        {
            return false;
        }

        logger.LogInformation("Write to locked trial {Trial} refused for {User} on {Path}", locked.TrialCode, httpContext.User.Identity?.Name ?? "anonymous", httpContext.Request.Path.Value);
        httpContext.Response.StatusCode = StatusCodes.Status409Conflict;
        httpContext.Response.ContentType = "text/html; charset=utf-8";
        await httpContext.Response.WriteAsync(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Database locked</title>" +
            "<link rel=\"stylesheet\" href=\"/lib/bootstrap/css/bootstrap.min.css\"></head><body class=\"p-5\">" +
            $"<h1 class=\"h3\">Database locked</h1><p>{WebUtility.HtmlEncode(locked.Message)}</p><p><a href=\"/\">Back to the start page</a></p></body></html>",
            cancellationToken);
        return true;
    }
}
