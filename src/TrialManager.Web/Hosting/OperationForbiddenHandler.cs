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
        httpContext.Response.StatusCode = StatusCodes.Status403Forbidden;
        httpContext.Response.ContentType = "text/html; charset=utf-8";
        await httpContext.Response.WriteAsync(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Access denied</title>" +
            "<link rel=\"stylesheet\" href=\"/lib/bootstrap/css/bootstrap.min.css\"></head><body class=\"p-5\">" +
            "<h1 class=\"h3\">Access denied</h1><p>You do not have permission to do this.</p><p><a href=\"/\">Back to the start page</a></p></body></html>",
            cancellationToken);
        return true;
    }
}
