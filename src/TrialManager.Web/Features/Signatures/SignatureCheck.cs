using Microsoft.AspNetCore.Identity;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Signatures;

/// <summary>What is being signed, for the refusal's audit entry.</summary>
public sealed record SignedRecord(string EntityType, string EntityId, object What, Guid TrialId, Guid SiteId, Guid ParticipantId);

/// <summary>
/// The two components every electronic signature asks for, checked one way: a stated meaning, and the signed-in
/// user's password entered again now. A wrong password is audited (with what was to be signed) and counts toward
/// lockout, exactly as at sign-in.
/// </summary>
public sealed class SignatureCheck(TrialDbContext db, SignInManager<ApplicationUser> signIn, CurrentUser me)
{
    public const string PasswordField = "SignPassword";
    public const string MeaningField = "Meaning";

    public static IReadOnlyList<string> Meanings { get; } = ["Reviewed and approved", "Authored", "Verified against source documents"];

    /// <summary>The signed-in user's password typed again: checked like at sign-in, a failure counting toward lockout.</summary>
    public static async Task<Microsoft.AspNetCore.Identity.SignInResult> PasswordAgainAsync(SignInManager<ApplicationUser> signIn, ApplicationUser user, string? password) =>
        string.IsNullOrEmpty(password) || password.Length > 1024
            ? Microsoft.AspNetCore.Identity.SignInResult.Failed
            : await signIn.CheckPasswordSignInAsync(user, password, lockoutOnFailure: true);

    /// <summary>The signer when both components hold; otherwise the refusal to show beside the fields.</summary>
    public async Task<(ApplicationUser? Signer, OperationResult? Refusal)> ConfirmAsync(string? meaning, string? password, SignedRecord record, CancellationToken cancellationToken)
    {
        if (meaning is null || !Meanings.Contains(meaning, StringComparer.Ordinal))
        {
            return (null, OperationResult.Fail(MeaningField, "Choose what your signature means."));
        }

        var user = await signIn.UserManager.FindByIdAsync(me.Id) ?? throw new OperationForbiddenException("No such user.");
        var check = await PasswordAgainAsync(signIn, user, password);
        if (check.Succeeded)
        {
            return (user, null);
        }

        db.ChangeTracker.Clear();
        db.AuditAction("SignatureRefused", record.EntityType, record.EntityId, new { record.What, LockedOut = check.IsLockedOut }, record.TrialId, record.SiteId, record.ParticipantId);
        await db.SaveChangesAsync(cancellationToken);
        return (null, OperationResult.Fail(PasswordField, check.IsLockedOut ? "Too many wrong passwords: your account is locked for 15 minutes." : "The password is not right; nothing was signed."));
    }
}
