using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Access;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Features.Notifications;

namespace TrialManager.Web.Features.Audit;

/// <summary>
/// Audit entries for account workflow that Identity performs and saves itself (sign-in, lockout, sign-out, two-factor
/// enrolment). Each is written in a transaction of its own, right after Identity's save, by a fresh context, so it
/// never rides on (or is lost with) a request's unrelated changes. Details never hold a password or a code.
/// </summary>
/// <remarks>
/// The sign-in pages show one message whatever went wrong; only these entries say whether the account exists, is
/// disabled or gave a wrong password.
/// </remarks>
public sealed class AccountAudit(
    IDbContextFactory<TrialDbContext> dbFactory,
    UserManager<ApplicationUser> users,
    Notifier notifier,
    IHttpContextAccessor accessor)
{
    public const string EntityType = nameof(ApplicationUser);

    /// <summary>Longest text kept from what someone typed as a user name.</summary>
    private const int MaxTypedName = 256;

    /// <summary>The account behind what was typed, and whether it was locked out before the attempt.</summary>
    public async Task<(ApplicationUser? User, bool WasLockedOut)> BeforeSignInAsync(string email)
    {
        var user = await users.FindByEmailAsync(email);
        return (user, user is not null && await users.IsLockedOutAsync(user));
    }

    /// <summary>Records the outcome of one sign-in step (password, authenticator code or recovery code).</summary>
    /// <param name="step">Password, AuthenticatorCode or RecoveryCode.</param>
    public async Task SignInOutcomeAsync(Microsoft.AspNetCore.Identity.SignInResult result, string typedEmail, ApplicationUser? user, bool wasLockedOut, string step)
    {
        if (result.Succeeded && user is not null)
        {
            await SignedInAsync(user, step == "Password" ? "Password" : $"Password+{step}");
        }
        else if (result.RequiresTwoFactor)
        {
            // The password was right; the sign-in is recorded when the second factor completes it (or fails).
        }
        else if (result.IsLockedOut && user is not null && !wasLockedOut)
        {
            await LockedOutAsync(user, step);
        }
        else
        {
            await SignInFailedAsync(typedEmail, user, wasLockedOut, step);
        }
    }

    public Task SignedInAsync(ApplicationUser user, string method) =>
        WriteForAsync(user, "SignIn", user.Id, new { Method = method });

    /// <summary>A refused sign-in: unknown user, wrong password, disabled account, or an account already locked out.</summary>
    public async Task SignInFailedAsync(string typedEmail, ApplicationUser? user, bool wasLockedOut, string step)
    {
        var typed = typedEmail.Length > MaxTypedName ? typedEmail[..MaxTypedName] : typedEmail;
        var reason = user switch
        {
            null => "UnknownUser",
            { IsDisabled: true } => "Disabled",
            _ when wasLockedOut => "AlreadyLockedOut",
            _ => step == "Password" ? "WrongPassword" : "WrongCode",
        };
        await WriteAsync(Anonymous(), "SignInFailed", user?.Id ?? "", new { Email = typed, Step = step, Reason = reason });
    }

    /// <summary>This attempt locked the account: recorded, and every administrator gets an in-app alert.</summary>
    public async Task LockedOutAsync(ApplicationUser user, string step)
    {
        var end = await users.GetLockoutEndDateAsync(user);
        var actor = Anonymous();
        await WriteAsync(actor, "LockedOut", user.Id, new { Email = user.Email, Step = step, LockedUntil = end?.UtcDateTime });
        await notifier.NotifyRolesAsync(
            [TrialRoles.Administrator],
            "Account locked out",
            $"The account of {user.DisplayName} ({user.Email}) was locked after repeated failed sign-in attempts. If they did not make these attempts, investigate.",
            $"/admin/users/{Uri.EscapeDataString(user.Id)}",
            actor);
    }

    public Task SignedOutAsync(ApplicationUser user) =>
        WriteForAsync(user, "SignOut", user.Id, new { });

    public Task TwoFactorEnabledAsync(ApplicationUser user) =>
        WriteForAsync(user, "TwoFactorEnabled", user.Id, new { Method = "Authenticator" });

    public Task TwoFactorResetAsync(ApplicationUser user) =>
        WriteForAsync(user, "TwoFactorReset", user.Id, new { Method = "Authenticator" });

    public Task RecoveryCodesRenewedAsync(ApplicationUser user) =>
        WriteForAsync(user, "RecoveryCodesRenewed", user.Id, new { Count = 10 });

    /// <summary>Writes an entry whose actor is <paramref name="user"/> (who has just proved who they are, or is signed in).</summary>
    private async Task WriteForAsync(ApplicationUser user, string action, string userId, object details)
    {
        var context = accessor.HttpContext;
        var signedIn = AuditActor.From(context, user.DisplayName);
        // Right after a sign-in the request still carries no principal: name the person from the database.
        var roles = await users.GetRolesAsync(user);
        var actor = signedIn.UserId == user.Id
            ? signedIn
            : new AuditActor(user.Id, user.DisplayName, string.Join(",", TrialRoles.All.Where(roles.Contains)), context?.Connection.RemoteIpAddress?.ToString() ?? "");
        await WriteAsync(actor, action, userId, details);
    }

    /// <summary>Nobody has proved who they are yet: the attempt is the anonymous caller's, made against the account named.</summary>
    private AuditActor Anonymous() => AuditActor.From(null, "anonymous") with { IpAddress = accessor.HttpContext?.Connection.RemoteIpAddress?.ToString() ?? "" };

    private async Task WriteAsync(AuditActor actor, string action, string userId, object details)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        db.AuditActorOverride = actor;
        db.AuditAction(action, EntityType, userId, details);
        await db.SaveChangesAsync();
    }
}
