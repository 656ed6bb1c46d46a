using Microsoft.AspNetCore.Identity;
using TrialManager.Web.Account;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Administration;

/// <summary>
/// An administrator creates an account with roles and sites. The person gets a one-time password (shown once to the
/// administrator) that they must replace at first sign-in. All of it is saved in one transaction or not at all.
/// </summary>
public sealed class CreateUser(TrialDbContext db, UserManager<ApplicationUser> users, CurrentUser me, TimeProvider clock, UnblindedRoleGrants grants, ILogger<CreateUser> logger)
{
    public sealed record Created(string UserId, string OneTimePassword);

    public async Task<OperationResult<Created>> ExecuteAsync(CreateUserInput input, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.Administration);
        var result = new OperationResult();
        var email = input.Email.Trim();
        if (await users.FindByEmailAsync(email) is not null)
        {
            result.Add(nameof(CreateUserInput.Email), "There is already an account with this e-mail address.");
        }

        var (roles, siteIds) = await UserAccessRules.CheckAsync(db, input, result, cancellationToken);
        if (!result.Succeeded)
        {
            return new(result, null);
        }

        var user = new ApplicationUser
        {
            UserName = email,
            Email = email,
            EmailConfirmed = true,
            DisplayName = input.DisplayName.Trim(),
            MustChangePassword = true,
            CreatedAt = clock.GetUtcNow(),
        };
        var password = OneTimePassword.New();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded)
        {
            foreach (var error in created.Errors)
            {
                result.Add(error.Code.Contains("Email", StringComparison.Ordinal) || error.Code.Contains("UserName", StringComparison.Ordinal) ? nameof(CreateUserInput.Email) : "", error.Description);
            }

            return new(result, null);
        }

        var added = await users.AddToRolesAsync(user, roles);
        if (!added.Succeeded)
        {
            return new(OperationResult.Fail("", string.Join(" ", added.Errors.Select(e => e.Description))), null);
        }

        db.SiteMemberships.AddRange(siteIds.Select(id => new SiteMembership { UserId = user.Id, SiteId = id }));
        db.AuditAction("CreateUser", nameof(ApplicationUser), user.Id, new { user.Email, user.DisplayName, Roles = roles, SiteIds = siteIds, OneTimePasswordIssued = true });
        var granted = UnblindedRoleGrants.Record(db, user, [], roles);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await grants.AnnounceAsync(db, user, granted, cancellationToken);
        logger.LogInformation("Administrator {AdminId} created user {UserId} with roles {Roles}", me.Id, user.Id, string.Join(",", roles));
        return new(result, new Created(user.Id, password));
    }
}
