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
        var completedAfterSave = new List<(EntityEntry Entry, AuditEntry Audit)>();
        foreach (var entry in db.ChangeTracker.Entries().ToList())
        {
            if (entry.Entity is AuditEntry || entry.State is not (EntityState.Added or EntityState.Modified or EntityState.Deleted))
            {
                continue;
            }

            var changes = Changes(entry, entry.State);
            if (entry.State == EntityState.Modified && changes.Count == 0)
            {
                continue;
            }

            var scoped = entry.Entity as IAuditScoped;
            var audit = actor.Entry(
                entry.State switch { EntityState.Added => "Create", EntityState.Modified => "Update", _ => "Delete" },
                entry.Metadata.ClrType.Name,
                KeyOf(entry),
                JsonSerializer.Serialize(changes),
                reason,
                scoped?.AuditTrialId,
                scoped?.AuditSiteId,
                scoped?.AuditParticipantId);
            entries.Add(audit);
            if (entry.State == EntityState.Added && entry.Properties.Any(p => p.IsTemporary))
            {
                completedAfterSave.Add((entry, audit));
            }
        }

        CompleteAfterSave(db, completedAfterSave);
        return entries;
    }

    /// <summary>
    /// A new row whose key the database generates (an identity column) has only a temporary key before the save. Its
    /// entries are captured before the save, like all others, and get the real key and values as soon as the save that
    /// writes the row has run, before they are themselves written.
    /// </summary>
    private static void CompleteAfterSave(DbContext db, List<(EntityEntry Entry, AuditEntry Audit)> pending)
    {
        if (pending.Count == 0)
        {
            return;
        }

        EventHandler<SavedChangesEventArgs>? saved = null;
        EventHandler<SaveChangesFailedEventArgs>? failed = null;
        saved = (_, _) =>
        {
            Unsubscribe();
            foreach (var (entry, audit) in pending)
            {
                audit.EntityId = KeyOf(entry);
                audit.Changes = JsonSerializer.Serialize(Changes(entry, EntityState.Added));
            }
        };
        failed = (_, _) => Unsubscribe();
        db.SavedChanges += saved;
        db.SaveChangesFailed += failed;

        void Unsubscribe()
        {
            db.SavedChanges -= saved;
            db.SaveChangesFailed -= failed;
        }
    }

    private static List<FieldChange> Changes(EntityEntry entry, EntityState state)
    {
        var changes = new List<FieldChange>();
        foreach (var property in entry.Properties)
        {
            if (state == EntityState.Modified && !property.IsModified)
            {
                continue;
            }

            var old = state == EntityState.Added ? null : Render(entry, property.Metadata.Name, property.OriginalValue);
            var @new = state == EntityState.Deleted ? null : Render(entry, property.Metadata.Name, property.CurrentValue);
            // A masked value ([sealed], [secret]) renders the same before and after; whether it changed is decided on
            // the stored values, so a new password or authenticator key is still recorded as a change (never shown).
            if (state == EntityState.Modified && old == @new && !(old is Masked.Sealed or Masked.Secret && !SameValue(property.OriginalValue, property.CurrentValue)))
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

        if (SealedProperties(entry.Metadata.ClrType).Contains(property))
        {
            return Masked.Sealed;
        }

        // Identity's secrets: password hashes, stamps, and the authenticator key and recovery codes (user tokens).
        if (SecretProperties.Contains(property) || (entry.Entity is IdentityUserToken<string> && property == nameof(IdentityUserToken<string>.Value)))
        {
            return Masked.Secret;
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

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, HashSet<string>> SealedByType = new();

    /// <summary>The [Sealed] properties of an entity type, found once per type (every save passes through here).</summary>
    private static HashSet<string> SealedProperties(Type type) => SealedByType.GetOrAdd(type, t =>
        [.. t.GetProperties().Where(p => p.GetCustomAttribute<SealedAttribute>() is not null).Select(p => p.Name)]);

    private static string KeyOf(EntityEntry entry)
    {
        var key = entry.Metadata.FindPrimaryKey();
        return key is null ? "" : string.Join("/", key.Properties.Select(p => Render(entry, p.Name, entry.Property(p.Name).CurrentValue)));
    }

    private static bool SameValue(object? a, object? b) =>
        a is byte[] x && b is byte[] y ? x.AsSpan().SequenceEqual(y) : Equals(a, b);

    private sealed record FieldChange(string Field, string? Old, string? New);

    private static class Masked
    {
        public const string Sealed = "[sealed]";
        public const string Secret = "[secret]";
    }
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
