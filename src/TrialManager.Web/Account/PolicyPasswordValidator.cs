using Microsoft.AspNetCore.Identity;
using TrialManager.Domain.Access;
using TrialManager.Web.Data;

namespace TrialManager.Web.Account;

/// <summary>Applies the domain's ASVS password policy wherever Identity sets or changes a password.</summary>
public sealed class PolicyPasswordValidator : IPasswordValidator<ApplicationUser>
{
    public Task<IdentityResult> ValidateAsync(UserManager<ApplicationUser> manager, ApplicationUser user, string? password)
    {
        var problems = PasswordPolicy.Check(password, user.Email, user.UserName, user.DisplayName);
        return Task.FromResult(problems.Count == 0
            ? IdentityResult.Success
            : IdentityResult.Failed([.. problems.Select(p => new IdentityError { Code = "PasswordPolicy", Description = p })]));
    }
}
