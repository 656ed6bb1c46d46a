using TrialManager.Web.Authorization;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Unblinding;

public static class UnblindingEndpoints
{
    /// <summary>The approved whole-list export: same checks as the view (requester, approved, unexpired, re-authenticated), audited.</summary>
    public static IEndpointRouteBuilder MapUnblindingEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/trials/{Code}/allocation-list/{RequestId:guid}.csv", async (string code, Guid requestId, ListAccess access, CancellationToken cancellationToken) =>
            {
                var result = await access.ReadAsync(requestId, ListAccessPurpose.Export, cancellationToken);
                if (result.Succeeded)
                {
                    return Results.File(await ListAccess.CsvAsync(result.Value!, cancellationToken), "text/csv; charset=utf-8", $"{code}-allocation-list.csv");
                }

                var message = string.Join(" ", result.Outcome.Errors.SelectMany(e => e.Value));
                return message == ListAccess.NoSuchRequest ? Results.NotFound() : Results.Text(message, statusCode: StatusCodes.Status403Forbidden);
            })
            .RequireAuthorization(Policies.Unblinded);
        return endpoints;
    }
}
