using Microsoft.EntityFrameworkCore;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;

namespace TrialManager.Web.Features.Notifications;

/// <summary>
/// Writes in-app notifications in a transaction of its own, so an alert about a failed operation survives that
/// operation's rollback. Messages are fixed wording chosen by the caller; they never carry an arm.
/// </summary>
public sealed class Notifier(IDbContextFactory<TrialDbContext> dbFactory, TimeProvider clock)
{
    public async Task NotifyRolesAsync(IEnumerable<string> roles, string subject, string body, string link, AuditActor actor, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.AuditActorOverride = actor;
        var roleNames = roles.ToList();
        var recipients = await db.UserRoles
            .Join(db.Roles, ur => ur.RoleId, r => r.Id, (ur, r) => new { ur.UserId, r.Name })
            .Where(x => roleNames.Contains(x.Name!))
            .Join(db.Users.Where(u => !u.IsDisabled), x => x.UserId, u => u.Id, (x, u) => u.Id)
            .Distinct()
            .ToListAsync(cancellationToken);
        var now = clock.GetUtcNow();
        db.Notifications.AddRange(recipients.Select(userId => new Notification { UserId = userId, Subject = subject, Body = body, Link = link, CreatedAt = now }));
        await db.SaveChangesAsync(cancellationToken);
    }
}
