using Microsoft.AspNetCore.Identity;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Administration;

/// <summary>Disables or re-enables an account. Disabling changes the security stamp, which ends the person's sessions at their next request.</summary>
public sealed class SetUserDisabled(TrialDbContext db, UserManager<ApplicationUser> users, CurrentUser me, ILogger<SetUserDisabled> logger)
{
    public async Task<OperationResult> ExecuteAsync(string userId, bool disabled, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.Administration);
        if (disabled && userId == me.Id)
        {
            return OperationResult.Fail("", "You cannot disable your own account.");
        }

        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return OperationResult.Fail("", "There is no such user.");
        }

        user.IsDisabled = disabled;
        // Saved by Identity's UpdateAsync together with the change, in one transaction.
        db.AuditAction(disabled ? "DisableUser" : "EnableUser", nameof(ApplicationUser), user.Id, new { user.Email });
        var updated = await users.UpdateAsync(user);
        if (!updated.Succeeded)
        {
            return OperationResult.Fail("", "The account could not be changed.");
        }

        await users.UpdateSecurityStampAsync(user);
        logger.LogInformation("Administrator {AdminId} {Action} user {UserId}", me.Id, disabled ? "disabled" : "enabled", userId);
        return OperationResult.Success;
    }
}
