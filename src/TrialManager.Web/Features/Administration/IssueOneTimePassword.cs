using Microsoft.AspNetCore.Identity;
using TrialManager.Web.Account;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Administration;

/// <summary>For a person who forgot their password: a new one-time password, to be replaced at next sign-in. Ends their sessions and clears a lockout.</summary>
public sealed class IssueOneTimePassword(TrialDbContext db, UserManager<ApplicationUser> users, CurrentUser me, ILogger<IssueOneTimePassword> logger)
{
    public async Task<OperationResult<string>> ExecuteAsync(string userId, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.Administration);
        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return new(OperationResult.Fail("", "There is no such user."), null);
        }

        var password = OneTimePassword.New();
        var token = await users.GeneratePasswordResetTokenAsync(user);
        var reset = await users.ResetPasswordAsync(user, token, password);
        if (!reset.Succeeded)
        {
            return new(OperationResult.Fail("", string.Join(" ", reset.Errors.Select(e => e.Description))), null);
        }

        user.MustChangePassword = true;
        // Saved by Identity's UpdateAsync together with the flag. Never the password itself.
        db.AuditAction("IssueOneTimePassword", nameof(ApplicationUser), user.Id, new { user.Email });
        await users.UpdateAsync(user);
        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
        logger.LogInformation("Administrator {AdminId} issued a one-time password to user {UserId}", me.Id, userId);
        return new(OperationResult.Success, password);
    }
}
