using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Access;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Administration;

/// <summary>Checks shared by creating a user and changing their access: known roles, existing sites, site roles need a site.</summary>
internal static class UserAccessRules
{
    public static async Task<(List<string> Roles, List<Guid> SiteIds)> CheckAsync(TrialDbContext db, UserAccessInput input, OperationResult result, CancellationToken cancellationToken)
    {
        var roles = input.Roles.Where(r => !string.IsNullOrWhiteSpace(r)).Distinct(StringComparer.Ordinal).ToList();
        if (roles.Count == 0)
        {
            result.Add(nameof(UserAccessInput.Roles), "Choose at least one role.");
        }
        else if (roles.Any(r => !TrialRoles.IsKnown(r)))
        {
            result.Add(nameof(UserAccessInput.Roles), "Choose roles from the list.");
        }

        var siteIds = new List<Guid>();
        foreach (var raw in input.SiteIds.Where(s => !string.IsNullOrWhiteSpace(s)).Distinct(StringComparer.Ordinal))
        {
            if (!Guid.TryParse(raw, out var id))
            {
                result.Add(nameof(UserAccessInput.SiteIds), "Choose sites from the list.");
                return (roles, []);
            }

            siteIds.Add(id);
        }

        if (siteIds.Count > 0 && await db.Sites.CountAsync(s => siteIds.Contains(s.Id), cancellationToken) != siteIds.Count)
        {
            result.Add(nameof(UserAccessInput.SiteIds), "Choose sites from the list.");
        }

        if (roles.Any(TrialRoles.SiteScoped.Contains) && siteIds.Count == 0)
        {
            result.Add(nameof(UserAccessInput.SiteIds), "Site coordinators and investigators work at sites: choose at least one.");
        }

        return (roles, siteIds);
    }
}
