using System.Diagnostics;
using System.Globalization;

namespace TrialManager.Web.Hosting;

/// <summary>
/// `Server-Timing: app;dur=N`: the time from the request entering the app to the response's headers being sent. Pages
/// are rendered whole before their first byte is written (no streaming rendering), so for a page this is its server
/// time; the benchmark reads it to leave the network and the load generator out of page timings.
/// </summary>
public static class ServerTiming
{
    public static IApplicationBuilder UseServerTiming(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var started = Stopwatch.GetTimestamp();
        context.Response.OnStarting(() =>
        {
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            context.Response.Headers["Server-Timing"] = string.Create(CultureInfo.InvariantCulture, $"app;dur={elapsed:0.###}");
            return Task.CompletedTask;
        });
        await next(context);
    });
}
