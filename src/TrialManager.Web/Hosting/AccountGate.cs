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
        if (user.Identity?.IsAuthenticated == true && !IsAlwaysAllowed(context.Request.Path))
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

    private static bool IsAlwaysAllowed(PathString path) =>
        path.StartsWithSegments("/Account", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/lib", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/Error", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/status", StringComparison.OrdinalIgnoreCase)
        || path.Equals("/app.css", StringComparison.OrdinalIgnoreCase)
        || path.Equals("/favicon.svg", StringComparison.OrdinalIgnoreCase);
}
