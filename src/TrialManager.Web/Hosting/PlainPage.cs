using System.Net;

namespace TrialManager.Web.Hosting;

/// <summary>
/// A small self-contained page for answers given outside the Blazor pages (refusals, outages): a title, what happened
/// and a way back. It needs nothing from the database, so it can be sent when the database is the problem.
/// </summary>
public static class PlainPage
{
    public static Task WriteAsync(HttpContext context, int status, string title, string message, CancellationToken cancellationToken = default)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        var (t, m) = (WebUtility.HtmlEncode(title), WebUtility.HtmlEncode(message));
        return context.Response.WriteAsync(
            $"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>" +
            "<link rel=\"stylesheet\" href=\"/lib/bootstrap/css/bootstrap.min.css\"></head><body class=\"p-5\">" +
            $"<h1 class=\"h3\">{t}</h1><p>{m}</p><p><a href=\"/\">Back to the start page</a></p></body></html>",
            cancellationToken);
    }
}
