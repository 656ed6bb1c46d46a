using TrialManager.Domain.Access;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Notifications;

namespace TrialManager.Web.Features.Administration;

/// <summary>
/// Giving someone a role that may see allocations is audited on its own and announced to the safety officers, so a
/// new pair of unblinded eyes never appears unnoticed.
/// </summary>
public sealed class UnblindedRoleGrants(Notifier notifier)
{
    /// <summary>Call inside the change's transaction, before saving: adds the audit entry. Returns the roles granted.</summary>
    public static IReadOnlyList<string> Record(TrialDbContext db, ApplicationUser user, IEnumerable<string> before, IEnumerable<string> after)
    {
        var granted = after.Where(TrialRoles.Unblinded.Contains).Except(before, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (granted.Count > 0)
        {
            db.AuditAction("GrantUnblindedRole", nameof(ApplicationUser), user.Id, new { user.Email, user.DisplayName, Roles = granted });
        }

        return granted;
    }

    /// <summary>Call after the change is committed.</summary>
    public async Task AnnounceAsync(TrialDbContext db, ApplicationUser user, IReadOnlyList<string> granted, CancellationToken cancellationToken)
    {
        if (granted.Count == 0)
        {
            return;
        }

        await notifier.NotifyRolesAsync([TrialRoles.SafetyOfficer], "An unblinded role was granted",
            $"{user.DisplayName} ({user.Email}) was given the role {string.Join(" and ", granted.Select(TrialRoles.DisplayName))}, which may see allocations.",
            "/admin/users", db.CurrentActor, cancellationToken);
    }
}
