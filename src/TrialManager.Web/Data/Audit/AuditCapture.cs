using System.Reflection;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using TrialManager.Domain.Access;
using TrialManager.Web.Authorization;

namespace TrialManager.Web.Data.Audit;

/// <summary>
/// Turns the change tracker's pending changes into audit entries, inside the same SaveChanges (and so the same
/// transaction) as the changes themselves. It runs for every entity type in the model: nothing can be saved through
/// TrialDbContext without an entry.
/// </summary>
internal static class AuditCapture
{
    private static readonly HashSet<string> SecretProperties = new(StringComparer.Ordinal)
    {
        nameof(IdentityUser.PasswordHash), nameof(IdentityUser.SecurityStamp), nameof(IdentityUser.ConcurrencyStamp),
    };

    public static List<AuditEntry> Collect(DbContext db, AuditActor actor, string reason)
    {
        var entries = new List<AuditEntry>();
        foreach (var entry in db.ChangeTracker.Entries().ToList())
        {
            if (entry.Entity is AuditEntry || entry.State is not (EntityState.Added or EntityState.Modified or EntityState.Deleted))
            {
                continue;
            }

            var changes = Changes(entry);
            if (entry.State == EntityState.Modified && changes.Count == 0)
            {
                continue;
            }

            var scoped = entry.Entity as IAuditScoped;
            entries.Add(actor.Entry(
                entry.State switch { EntityState.Added => "Create", EntityState.Modified => "Update", _ => "Delete" },
                entry.Metadata.ClrType.Name,
                KeyOf(entry),
                JsonSerializer.Serialize(changes),
                reason,
                scoped?.AuditTrialId,
                scoped?.AuditSiteId,
                scoped?.AuditParticipantId));
        }

        return entries;
    }

    private static List<FieldChange> Changes(EntityEntry entry)
    {
        var changes = new List<FieldChange>();
        foreach (var property in entry.Properties)
        {
            if (entry.State == EntityState.Modified && !property.IsModified)
            {
                continue;
            }

            var old = entry.State == EntityState.Added ? null : Render(entry, property.Metadata.Name, property.OriginalValue);
            var @new = entry.State == EntityState.Deleted ? null : Render(entry, property.Metadata.Name, property.CurrentValue);
            if (entry.State == EntityState.Modified && old == @new)
            {
                continue;
            }

            changes.Add(new FieldChange(property.Metadata.Name, old, @new));
        }

        return changes;
    }

    private static string? Render(EntityEntry entry, string property, object? value)
    {
        if (value is null)
        {
            return null;
        }

        var info = entry.Metadata.ClrType.GetProperty(property);
        if (info?.GetCustomAttribute<SealedAttribute>() is not null)
        {
            return "[sealed]";
        }

        // Identity's secrets: password hashes, stamps, and the authenticator key and recovery codes (user tokens).
        if (SecretProperties.Contains(property) || (entry.Entity is IdentityUserToken<string> && property == nameof(IdentityUserToken<string>.Value)))
        {
            return "[secret]";
        }

        return value switch
        {
            DateTimeOffset d => d.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            DateTime d => d.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            byte[] bytes => $"[{bytes.Length} bytes]",
            IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };
    }

    private static string KeyOf(EntityEntry entry)
    {
        var key = entry.Metadata.FindPrimaryKey();
        return key is null ? "" : string.Join("/", key.Properties.Select(p => Render(entry, p.Name, entry.Property(p.Name).CurrentValue)));
    }

    private sealed record FieldChange(string Field, string? Old, string? New);
}

/// <summary>Who is acting, read from the request (or "system" for start-up, seeding and the command line).</summary>
public sealed record AuditActor(string UserId, string UserName, string Roles, string IpAddress)
{
    public static AuditActor System(string name) => new("system", name, "", "");

    public static AuditActor From(HttpContext? context, string fallbackName)
    {
        var user = context?.User;
        if (user?.Identity?.IsAuthenticated != true)
        {
            return new AuditActor("anonymous", fallbackName, "", context?.Connection.RemoteIpAddress?.ToString() ?? "");
        }

        return new AuditActor(
            user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "",
            user.FindFirstValue(TrialClaims.DisplayName) ?? user.Identity.Name ?? "",
            string.Join(",", TrialRoles.All.Where(user.IsInRole)),
            context!.Connection.RemoteIpAddress?.ToString() ?? "");
    }

    public AuditEntry Entry(string action, string entityType, string entityId, string changes, string reason, Guid? trialId = null, Guid? siteId = null, Guid? participantId = null) => new()
    {
        UserId = UserId,
        UserName = UserName,
        Roles = Roles,
        IpAddress = IpAddress,
        Action = action,
        EntityType = entityType,
        EntityId = entityId,
        Changes = changes,
        Reason = reason,
        TrialId = trialId,
        SiteId = siteId,
        ParticipantId = participantId,
    };
}
