using Microsoft.AspNetCore.Identity;

namespace TrialManager.Web.Data;

/// <summary>A person who signs in. Identity's user plus what a trial needs: a printed name for signatures and a disable switch.</summary>
public sealed class ApplicationUser : IdentityUser
{
    /// <summary>The printed name shown beside electronic signatures and in the audit trail.</summary>
    public string DisplayName { get; set; } = "";

    /// <summary>Disabled users cannot sign in and their sessions end at their next request (the security stamp changes).</summary>
    public bool IsDisabled { get; set; }

    /// <summary>Set for accounts created with a one-time password by an administrator.</summary>
    public bool MustChangePassword { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public List<SiteMembership> SiteMemberships { get; } = [];
}
