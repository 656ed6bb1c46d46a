using TrialManager.Web.Authorization;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Exports;

public static class ExportEndpoints
{
    /// <summary>
    /// Downloads of a trial's exports. The page's links carry the options; the operation checks access again, records
    /// and audits every file. A refusal is a 403 with the reason, never a file.
    /// </summary>
    public static IEndpointRouteBuilder MapExportEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/trials/{Code}/exports/odm", (string code, HttpRequest http, TrialExports exports, CancellationToken cancellationToken) =>
                DownloadAsync(exports, code, new ExportRequest(ExportFormat.Odm, Flag(http, "unblinded"), Flag(http, "audit"), Flag(http, "signatures")), cancellationToken))
            .RequireAuthorization(Policies.Exports);
        endpoints.MapGet("/trials/{Code}/exports/csv", (string code, HttpRequest http, TrialExports exports, CancellationToken cancellationToken) =>
                DownloadAsync(exports, code, new ExportRequest(ExportFormat.Csv, Flag(http, "unblinded")), cancellationToken))
            .RequireAuthorization(Policies.Exports);
        return endpoints;
    }

    private static bool Flag(HttpRequest http, string name) => http.Query[name].FirstOrDefault() is "1" or "true" or "on";

    private static async Task<IResult> DownloadAsync(TrialExports exports, string code, ExportRequest request, CancellationToken cancellationToken)
    {
        var result = await exports.ExportAsync(code, request, cancellationToken);
        if (result.Succeeded)
        {
            var file = result.Value!;
            return Results.File(file.Content, file.ContentType, file.FileName);
        }

        var message = string.Join(" ", result.Outcome.Errors.SelectMany(e => e.Value));
        return message == TrialExports.NoSuchTrial ? Results.NotFound() : Results.Text(message, statusCode: StatusCodes.Status403Forbidden);
    }
}
