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
        await PlainPage.WriteAsync(httpContext, StatusCodes.Status409Conflict, "Database locked", locked.Message, cancellationToken);
        return true;
    }
}
