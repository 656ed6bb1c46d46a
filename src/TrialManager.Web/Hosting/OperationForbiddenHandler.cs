using Microsoft.AspNetCore.Diagnostics;
using TrialManager.Web.Authorization;

namespace TrialManager.Web.Hosting;

/// <summary>Turns an operation's own authorization refusal into a plain 403 page instead of an error page.</summary>
public sealed class OperationForbiddenHandler(ILogger<OperationForbiddenHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not OperationForbiddenException && exception.InnerException is not OperationForbiddenException)
        {
            return false;
        }

        logger.LogWarning("Operation refused for {User} on {Path}", httpContext.User.Identity?.Name ?? "anonymous", httpContext.Request.Path.Value);
        await PlainPage.WriteAsync(httpContext, StatusCodes.Status403Forbidden, "Access denied", "You do not have permission to do this.", cancellationToken);
        return true;
    }
}
