using System.Globalization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Unblinding;

/// <summary>
/// Proof that the person at the keyboard is the signed-in user, given again within the last few minutes: password and,
/// when they have one, an authenticator code. Kept in a data-protected cookie bound to the user and their security
/// stamp (a password change or reset voids it). Reveals of an allocation require it.
/// </summary>
public sealed class Reauthentication(
    IHttpContextAccessor http,
    IDataProtectionProvider protection,
    SignInManager<ApplicationUser> signIn,
    TrialDbContext db,
    CurrentUser me,
    TimeProvider clock)
{
    public const string CookieName = "tm-reauth";
    public const string PasswordField = "Password";
    public const string CodeField = "Code";
    public static readonly TimeSpan FreshFor = TimeSpan.FromMinutes(5);

    private IDataProtector Protector => protection.CreateProtector("TrialManager.Reauthentication.v1");

    /// <summary>Whether the user proved who they are within <see cref="FreshFor"/>.</summary>
    public async Task<bool> IsFreshAsync()
    {
        var context = http.HttpContext;
        if (context is null || !me.IsAuthenticated || !context.Request.Cookies.TryGetValue(CookieName, out var cookie))
        {
            return false;
        }

        string payload;
        try
        {
            payload = Protector.Unprotect(cookie);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return false;
        }

        var parts = payload.Split('|');
        if (parts.Length != 3 || parts[0] != me.Id || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks))
        {
            return false;
        }

        var age = clock.GetUtcNow() - new DateTimeOffset(ticks, TimeSpan.Zero);
        if (age < TimeSpan.Zero || age > FreshFor)
        {
            return false;
        }

        var user = await signIn.UserManager.FindByIdAsync(me.Id);
        return user is not null && user.SecurityStamp == parts[1];
    }

    /// <summary>Checks the password (and authenticator code when the user has two factors); failures count toward lockout and are audited.</summary>
    public async Task<OperationResult> ConfirmAsync(string? password, string? code, CancellationToken cancellationToken = default)
    {
        var user = await signIn.UserManager.FindByIdAsync(me.Id) ?? throw new OperationForbiddenException("No such user.");
        var result = new OperationResult();
        var check = await Signatures.SignatureCheck.PasswordAgainAsync(signIn, user, password);
        if (!check.Succeeded)
        {
            result.Add(PasswordField, check.IsLockedOut ? "Too many wrong passwords: your account is locked for 15 minutes." : "The password is not right.");
        }
        else if (user.TwoFactorEnabled)
        {
            var token = (code ?? "").Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
            if (token.Length is < 6 or > 8 || !await signIn.UserManager.VerifyTwoFactorTokenAsync(user, signIn.UserManager.Options.Tokens.AuthenticatorTokenProvider, token))
            {
                await signIn.UserManager.AccessFailedAsync(user);
                result.Add(CodeField, "The authenticator code is not right (or was already used).");
            }
        }

        db.AuditAction(result.Succeeded ? "Reauthenticate" : "ReauthenticationRefused", nameof(ApplicationUser), user.Id, new { });
        await db.SaveChangesAsync(cancellationToken);
        if (result.Succeeded && http.HttpContext is { } context)
        {
            var stamp = await signIn.UserManager.GetSecurityStampAsync(user);
            var payload = string.Join('|', user.Id, stamp, clock.GetUtcNow().UtcTicks.ToString(CultureInfo.InvariantCulture));
            context.Response.Cookies.Append(CookieName, Protector.Protect(payload), new CookieOptions
            {
                HttpOnly = true,
                Secure = context.Request.IsHttps,
                SameSite = SameSiteMode.Strict,
                IsEssential = true,
                MaxAge = FreshFor,
            });
        }

        return result;
    }
}
