using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Access;
using TrialManager.Web.Data;

namespace TrialManager.Web.Authorization;

/// <summary>
/// The signed-in person for this request: who they are, their roles, and which sites they may see. Operations take
/// this instead of reading HttpContext so the checks they make are the same ones pages make.
/// </summary>
public sealed class CurrentUser(IHttpContextAccessor accessor, IAuthorizationService authorization, TrialDbContext db)
{
    private IReadOnlySet<Guid>? _memberSiteIds;

    public ClaimsPrincipal Principal => accessor.HttpContext?.User ?? new ClaimsPrincipal(new ClaimsIdentity());

    public bool IsAuthenticated => Principal.Identity?.IsAuthenticated == true;

    public string Id => Principal.FindFirstValue(ClaimTypes.NameIdentifier)
        ?? throw new OperationForbiddenException("Not signed in.");

    public string DisplayName => Principal.FindFirstValue(TrialClaims.DisplayName) ?? Principal.Identity?.Name ?? "";

    public IReadOnlyList<string> Roles => [.. TrialRoles.All.Where(Principal.IsInRole)];

    public bool IsInRole(string role) => Principal.IsInRole(role);

    /// <summary>True when every site is visible: no role held is site-scoped, and at least one role is held.</summary>
    public bool SeesAllSites => Roles.Count > 0 && Roles.All(r => !TrialRoles.SiteScoped.Contains(r));

    /// <summary>The operation-level twin of a page's [Authorize(Policy = ...)].</summary>
    public async Task DemandAsync(string policy)
    {
        if (!await MeetsAsync(policy))
        {
            throw new OperationForbiddenException($"Policy {policy} not met.");
        }
    }

    /// <summary>Whether the user meets a policy: pages decide which forms to offer from the rules the operations demand.</summary>
    public async Task<bool> MeetsAsync(string policy) => (await authorization.AuthorizeAsync(Principal, policy)).Succeeded;

    /// <summary>Sites of which this user is a member (read once per request).</summary>
    public async Task<IReadOnlySet<Guid>> MemberSiteIdsAsync(CancellationToken cancellationToken = default)
    {
        if (_memberSiteIds is null)
        {
            var userId = Id;
            var ids = await db.SiteMemberships.Where(m => m.UserId == userId).Select(m => m.SiteId).ToListAsync(cancellationToken);
            _memberSiteIds = ids.ToHashSet();
        }

        return _memberSiteIds;
    }

    /// <summary>Restricts a query over sites to the ones this user may see. Every site-owned query goes through here.</summary>
    public async Task<IQueryable<Site>> VisibleSitesAsync(CancellationToken cancellationToken = default)
    {
        if (SeesAllSites)
        {
            return db.Sites;
        }

        var ids = await MemberSiteIdsAsync(cancellationToken);
        return db.Sites.Where(s => ids.Contains(s.Id));
    }

}
