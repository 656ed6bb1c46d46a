using Microsoft.AspNetCore.Authorization;
using TrialManager.Domain.Access;

namespace TrialManager.Web.Authorization;

/// <summary>
/// Named authorization policies. Pages declare one with [Authorize(Policy = ...)] and the operation behind the page
/// checks the same policy again (see <see cref="CurrentUser.DemandAsync"/>), so neither can drift alone.
/// Anything not named here falls back to "signed in" (deny by default for anonymous users).
/// </summary>
public static class Policies
{
    public const string Administration = nameof(Administration);
    public const string SiteDirectory = nameof(SiteDirectory);

    public static void Register(AuthorizationBuilder builder)
    {
        builder.SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        builder.AddPolicy(Administration, p => p.RequireRole(TrialRoles.Administrator));
        builder.AddPolicy(SiteDirectory, p => p.RequireRole(TrialRoles.All));
    }
}
