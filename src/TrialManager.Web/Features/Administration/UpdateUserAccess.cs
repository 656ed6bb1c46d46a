using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Administration;

/// <summary>Replaces a user's roles and sites. Their security stamp changes, so their open sessions end.</summary>
public sealed class UpdateUserAccess(TrialDbContext db, UserManager<ApplicationUser> users, CurrentUser me, UnblindedRoleGrants grants, ILogger<UpdateUserAccess> logger)
{
    public async Task<OperationResult> ExecuteAsync(string userId, UserAccessInput input, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.Administration);
        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return OperationResult.Fail("", "There is no such user.");
        }

        var result = new OperationResult();
        var (roles, siteIds) = await UserAccessRules.CheckAsync(db, input, result, cancellationToken);
        if (userId == me.Id && !roles.Contains(Domain.Access.TrialRoles.Administrator))
        {
            // Otherwise the last administrator could lock everyone out of administration.
            result.Add(nameof(UserAccessInput.Roles), "You cannot remove the Administrator role from your own account.");
        }

        if (!result.Succeeded)
        {
            return result;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var current = await users.GetRolesAsync(user);
        var removed = await users.RemoveFromRolesAsync(user, current.Except(roles, StringComparer.Ordinal));
        var added = await users.AddToRolesAsync(user, roles.Except(current, StringComparer.Ordinal));
        if (!removed.Succeeded || !added.Succeeded)
        {
            return OperationResult.Fail("", "The roles could not be changed.");
        }

        var memberships = await db.SiteMemberships.Where(m => m.UserId == userId).ToListAsync(cancellationToken);
        db.SiteMemberships.RemoveRange(memberships.Where(m => !siteIds.Contains(m.SiteId)));
        db.SiteMemberships.AddRange(siteIds.Where(id => memberships.All(m => m.SiteId != id)).Select(id => new SiteMembership { UserId = userId, SiteId = id }));
        db.AuditAction("ChangeUserAccess", nameof(ApplicationUser), userId, new
        {
            user.Email,
            Roles = new { Old = current.Order(StringComparer.Ordinal), New = roles.Order(StringComparer.Ordinal) },
            SiteIds = new { Old = memberships.Select(m => m.SiteId).Order(), New = siteIds.Order() },
        });
        var granted = UnblindedRoleGrants.Record(db, user, current, roles);
        await db.SaveChangesAsync(cancellationToken);
        await users.UpdateSecurityStampAsync(user);
        await transaction.CommitAsync(cancellationToken);
        await grants.AnnounceAsync(db, user, granted, cancellationToken);
        logger.LogInformation("Administrator {AdminId} changed access of user {UserId} to roles {Roles}", me.Id, userId, string.Join(",", roles));
        return result;
    }
}
