namespace TrialManager.Web.Hosting;

/// <summary>
/// Outside Development every page is refused over plain http with a clear 400, rather than failing later on
/// Secure-only cookies. The health check stays reachable over http for the container's own probe on loopback.
/// </summary>
public static class HttpsOnly
{
    public static IApplicationBuilder UseHttpsOnly(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.Request.IsHttps || context.Request.Path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase))
        {
            await next();
            return;
        }

        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(
            "TrialManager answers only over HTTPS. If TLS ends at a reverse proxy, list the proxy in TrialManager:TrustedProxies so its X-Forwarded-Proto header is believed.");
    });
}
