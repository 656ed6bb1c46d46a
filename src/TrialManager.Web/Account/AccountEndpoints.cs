using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Identity;
using TrialManager.Web.Data;

namespace TrialManager.Web.Account;

public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // Sign-out is a POST with an antiforgery token, so another site cannot sign a user out (or in) behind their back.
        endpoints.MapPost("/Account/Logout", async (SignInManager<ApplicationUser> signIn, IAntiforgery antiforgery, ILoggerFactory logs, Features.Audit.AccountAudit audit, HttpContext context) =>
            {
                // The antiforgery middleware only records a failure; endpoints that bind no form must check it themselves.
                if (!await antiforgery.IsRequestValidAsync(context))
                {
                    return Results.BadRequest();
                }

                logs.CreateLogger("TrialManager.Account").LogInformation("User {User} signed out", context.User.Identity?.Name);
                // A new security stamp makes every cookie issued to this person invalid at its next request, so a
                // copied or lingering cookie is worthless after sign-out. It signs them out on their other devices too.
                if (await signIn.UserManager.GetUserAsync(context.User) is { } user)
                {
                    await signIn.UserManager.UpdateSecurityStampAsync(user);
                    await audit.SignedOutAsync(user);
                }

                await signIn.SignOutAsync();
                return Results.LocalRedirect("/Account/Login");
            })
            .DisableAntiforgery()
            .AllowAnonymous();
        return endpoints;
    }
}
