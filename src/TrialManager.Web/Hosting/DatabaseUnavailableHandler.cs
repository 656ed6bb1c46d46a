using System.Net.Sockets;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace TrialManager.Web.Hosting;

/// <summary>
/// When PostgreSQL cannot be reached (restarting, shutting down, the network gone) or has run out of room (disk full,
/// out of memory or connections), the request ends on a 503 page that says so and that nothing was saved: every write
/// is one transaction, so a failed request leaves no part behind. Nothing is cached across requests that would keep the
/// app from working again once the database is back: the connection pool drops broken connections and opens new ones.
/// </summary>
public sealed class DatabaseUnavailableHandler(ILogger<DatabaseUnavailableHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var reason = Classify(exception);
        if (reason is null)
        {
            return false;
        }

        logger.LogError("Database unavailable ({Reason}) on {Method} {Path}: {Message}", reason, httpContext.Request.Method, httpContext.Request.Path.Value, Innermost(exception).Message);
        httpContext.Response.Headers.RetryAfter = "30";
        await PlainPage.WriteAsync(
            httpContext,
            StatusCodes.Status503ServiceUnavailable,
            reason == Reason.OutOfRoom ? "The database is out of room" : "The database is not available",
            reason == Reason.OutOfRoom
                ? "The database server has run out of storage or memory, so this could not be done. Nothing was saved. Tell your administrator, then try again."
                : "The database server cannot be reached right now, so this could not be done. Nothing was saved. Try again in a minute.",
            cancellationToken);
        return true;
    }

    public enum Reason
    {
        Unreachable,
        OutOfRoom,
    }

    /// <summary>Which outage an exception (or one it wraps, as EF Core does) stands for; null when it is not one.</summary>
    public static Reason? Classify(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                // Class 53: insufficient resources (53100 disk full, 53200 out of memory, 53300 too many connections).
                case PostgresException p when p.SqlState.StartsWith("53", StringComparison.Ordinal):
                    return Reason.OutOfRoom;
                // 57P01-57P03: shut down by the administrator, crashed, or cannot connect now (starting up); 08: connection.
                case PostgresException p when p.SqlState is "57P01" or "57P02" or "57P03" || p.SqlState.StartsWith("08", StringComparison.Ordinal):
                    return Reason.Unreachable;
                case PostgresException:
                    return null;
                case NpgsqlException n when n.InnerException is SocketException or IOException or TimeoutException || n.IsTransient:
                    return Reason.Unreachable;
            }
        }

        return null;
    }

    private static Exception Innermost(Exception exception)
    {
        var e = exception;
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }
}
