using TrialManager.Domain.Access;
using TrialManager.Web.Authorization;

namespace TrialManager.Web.Hosting;

/// <summary>
/// Two things a signed-in person must do before anything else: replace a one-time password set by an administrator,
/// and, in roles that require it (safety officer, administrator), enrol a second factor — until their session carries
/// proof of one ("amr" = "mfa"). Account pages and static files stay reachable so they can.
/// </summary>
public static class AccountGate
{
    public const string ChangePasswordPath = "/Account/Manage/ChangePassword";
    public const string EnrolmentPath = "/Account/Manage/EnableAuthenticator";

    public static IApplicationBuilder UseAccountGate(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var user = context.User;
        var anonymousEndpoint = context.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is not null;
        if (user.Identity?.IsAuthenticated == true && !anonymousEndpoint && !IsAlwaysAllowed(context.Request.Path))
        {
            if (user.HasClaim(c => c.Type == TrialClaims.MustChangePassword))
            {
                context.Response.Redirect(ChangePasswordPath);
                return;
            }

            if (TrialRoles.RequireTwoFactor.Any(user.IsInRole) && !user.HasClaim(TrialClaims.AuthenticationMethod, TrialClaims.MultiFactor))
            {
                context.Response.Redirect(EnrolmentPath);
                return;
            }
        }

        await next();
    });

    /// <summary>Account pages stay reachable; everything anonymous (static files, health, error pages) is let through above.</summary>
    private static bool IsAlwaysAllowed(PathString path) => path.StartsWithSegments("/Account", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether the person is held by the gate (the layout then shows no navigation that would only bounce them back).</summary>
    public static bool IsHeld(System.Security.Claims.ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true
        && (user.HasClaim(c => c.Type == TrialClaims.MustChangePassword)
            || (TrialRoles.RequireTwoFactor.Any(user.IsInRole) && !user.HasClaim(TrialClaims.AuthenticationMethod, TrialClaims.MultiFactor)));
}
