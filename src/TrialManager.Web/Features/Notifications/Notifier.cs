using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;

namespace TrialManager.Web.Features.Notifications;

/// <summary>
/// Writes in-app notifications, and the same message to the e-mail outbox when SMTP is configured, in a transaction
/// of its own, so an alert about a failed operation survives that operation's rollback. Messages are fixed wording
/// chosen by the caller; they never carry an arm.
/// </summary>
public sealed class Notifier(IDbContextFactory<TrialDbContext> dbFactory, TimeProvider clock, IOptions<SmtpSettings> smtp)
{
    public async Task NotifyRolesAsync(IEnumerable<string> roles, string subject, string body, string link, AuditActor actor, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var roleNames = roles.ToList();
        var recipients = await db.UserRoles
            .Join(db.Roles, ur => ur.RoleId, r => r.Id, (ur, r) => new { ur.UserId, r.Name })
            .Where(x => roleNames.Contains(x.Name!))
            .Join(db.Users.Where(u => !u.IsDisabled), x => x.UserId, u => u.Id, (x, u) => new Recipient(u.Id, u.Email))
            .Distinct()
            .ToListAsync(cancellationToken);
        await SendAsync(db, recipients, subject, body, link, actor, cancellationToken);
    }

    /// <summary>To named users (e.g. the investigators of one site), whatever their roles; disabled users are skipped.</summary>
    public async Task NotifyUsersAsync(IEnumerable<string> userIds, string subject, string body, string link, AuditActor actor, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var ids = userIds.Distinct().ToList();
        var recipients = await db.Users.Where(u => ids.Contains(u.Id) && !u.IsDisabled)
            .Select(u => new Recipient(u.Id, u.Email)).ToListAsync(cancellationToken);
        await SendAsync(db, recipients, subject, body, link, actor, cancellationToken);
    }

    private async Task SendAsync(TrialDbContext db, List<Recipient> recipients, string subject, string body, string link, AuditActor actor, CancellationToken cancellationToken)
    {
        if (recipients.Count == 0)
        {
            return;
        }

        db.AuditActorOverride = actor;
        var now = clock.GetUtcNow();
        db.Notifications.AddRange(recipients.Select(r => new Notification { UserId = r.UserId, Subject = subject, Body = body, Link = link, CreatedAt = now }));
        var settings = smtp.Value;
        if (settings.Enabled)
        {
            var url = (settings.PublicBaseUrl?.TrimEnd('/') ?? "") + link;
            db.OutboxEmails.AddRange(recipients.Where(r => !string.IsNullOrWhiteSpace(r.Email)).Select(r => new OutboxEmail
            {
                ToAddress = r.Email!,
                Subject = $"[TrialManager] {subject}",
                Body = $"{body}\n\nOpen it in TrialManager: {url}\n\nThis message was sent by TrialManager; it never contains a treatment allocation.",
                CreatedAt = now,
                NextAttemptAt = now,
            }));
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    private sealed record Recipient(string UserId, string? Email);
}
