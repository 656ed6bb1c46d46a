using Microsoft.EntityFrameworkCore;
using Npgsql;
using TrialManager.Domain.Protocols;
using TrialManager.Web.Data;
using TrialManager.Web.Sealing;
using DomainSite = TrialManager.Domain.Protocols.Site;

namespace TrialManager.Web.Features.Protocols;

public enum ProtocolImportKind
{
    /// <summary>The file has errors; nothing can be imported.</summary>
    Invalid,

    /// <summary>No trial has this code yet: importing creates it.</summary>
    NewTrial,

    /// <summary>The trial exists and this content is new: importing makes an amendment.</summary>
    Amendment,

    /// <summary>This exact content (same canonical hash) is already a version of the trial.</summary>
    AlreadyImported,
}

/// <summary>What importing a file would do, without doing it.</summary>
public sealed record ProtocolImportPreview(ProtocolLoadResult Load, ProtocolImportKind Kind, int? Sequence, string? ExistingVersionLabel)
{
    public Protocol? Protocol => Load.Protocol;
}

/// <summary>Who imports: a signed-in administrator, or the operator running the command line.</summary>
public sealed record ProtocolImportActor(string Id, string Name)
{
    public static ProtocolImportActor CommandLine { get; } = new("command-line", $"command line ({Environment.UserName})");
}

/// <summary>
/// Validates a protocol file and stores it: a new trial (with its sites), or an amendment of an existing one. The same
/// validation runs for the administrator's upload and the command line; a file with any error imports nothing.
/// Authorization is the caller's job (<see cref="ImportProtocol"/> for the web); this class trusts its caller.
/// </summary>
public sealed class ProtocolImporter(TrialDbContext db, Sealer sealer, TimeProvider clock, ILogger<ProtocolImporter> logger)
{
    public const string SourceTextPurpose = "protocol-text";

    /// <summary>Larger files are refused before parsing; real protocols are a few tens of kilobytes.</summary>
    public const int MaximumBytes = 1024 * 1024;

    public async Task<ProtocolImportPreview> PreviewAsync(string text, string fileName, CancellationToken cancellationToken = default)
    {
        var load = ProtocolLoader.Load(text, SafeFileName(fileName));
        if (!load.Succeeded)
        {
            return new ProtocolImportPreview(load, ProtocolImportKind.Invalid, null, null);
        }

        var protocol = load.Protocol;
        var trial = await db.Trials.AsNoTracking().FirstOrDefaultAsync(t => t.Code == protocol.Code, cancellationToken);
        if (trial is null)
        {
            return new ProtocolImportPreview(load, ProtocolImportKind.NewTrial, 1, null);
        }

        var hash = protocol.ContentHash;
        var versions = await db.ProtocolVersions.AsNoTracking().Where(v => v.TrialId == trial.Id)
            .Select(v => new { v.Sequence, v.ContentHash, v.Version }).ToListAsync(cancellationToken);
        var same = versions.FirstOrDefault(v => v.ContentHash == hash);
        return same is not null
            ? new ProtocolImportPreview(load, ProtocolImportKind.AlreadyImported, same.Sequence, same.Version)
            : new ProtocolImportPreview(load, ProtocolImportKind.Amendment, versions.Max(v => v.Sequence) + 1, null);
    }

    /// <summary>Validates again (never trusting an earlier preview) and stores the version in one transaction.</summary>
    public async Task<ProtocolImportPreview> ImportAsync(string text, string fileName, ProtocolImportActor actor, CancellationToken cancellationToken = default)
    {
        var preview = await PreviewAsync(text, fileName, cancellationToken);
        if (preview.Kind is ProtocolImportKind.Invalid or ProtocolImportKind.AlreadyImported)
        {
            return preview;
        }

        var protocol = preview.Protocol!;
        var now = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var trial = await db.Trials.Include(t => t.Sites).FirstOrDefaultAsync(t => t.Code == protocol.Code, cancellationToken);
        if (trial is null)
        {
            trial = new Trial { Code = protocol.Code, CreatedAt = now };
            db.Trials.Add(trial);
        }

        trial.Title = protocol.Title;
        var depots = await UpsertDepotsAsync(protocol.Depots, cancellationToken);
        await LinkSitesAsync(trial, protocol.Sites, depots, cancellationToken);
        db.AuditAction("ImportProtocol", nameof(Trial), trial.Id.ToString(), new { protocol.Code, protocol.Version, preview.Sequence, protocol.ContentHash }, trialId: trial.Id);
        var version = new ProtocolVersion
        {
            TrialId = trial.Id,
            Sequence = preview.Sequence!.Value,
            Version = protocol.Version,
            ContentHash = protocol.ContentHash,
            FileName = SafeFileName(fileName),
            ImportedAt = now,
            ImportedBy = actor.Id,
            ImportedByName = actor.Name,
        };
        version.SealedSourceText = sealer.SealWithInstallationKey(SourceTextPurpose, version.Id, System.Text.Encoding.UTF8.GetBytes(text));
        db.ProtocolVersions.Add(version);

        try
        {
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Someone imported this trial at the same moment; their version won. Show the current state.
            await transaction.RollbackAsync(cancellationToken);
            db.ChangeTracker.Clear();
            return await PreviewAsync(text, fileName, cancellationToken);
        }

        logger.LogInformation("Protocol {Code} version {Version} imported as protocol version {Sequence} by {Actor}", protocol.Code, protocol.Version, preview.Sequence, actor.Id);
        return preview;
    }

    /// <summary>Sites are shared across trials: create the ones not known yet, keep their details current, and link them.</summary>
    private async Task LinkSitesAsync(Trial trial, IReadOnlyList<DomainSite> sites, Dictionary<string, Data.Depot> depots, CancellationToken cancellationToken)
    {
        var codes = sites.Select(s => s.Code).ToList();
        var existing = await db.Sites.Where(s => codes.Contains(s.Code)).ToDictionaryAsync(s => s.Code, StringComparer.Ordinal, cancellationToken);
        foreach (var site in sites)
        {
            if (!existing.TryGetValue(site.Code, out var row))
            {
                row = new Data.Site { Code = site.Code };
                db.Sites.Add(row);
            }

            row.Name = site.Name;
            row.Country = site.Country;
            row.TimeZone = site.TimeZone;
            var link = trial.Sites.FirstOrDefault(l => l.SiteId == row.Id);
            if (link is null)
            {
                link = new TrialSite { TrialId = trial.Id, SiteId = row.Id };
                trial.Sites.Add(link);
            }

            // An amendment may move a site to another depot; shipments already made keep the depot that sent them.
            link.DepotId = site.DepotCode is { } depot ? depots[depot].Id : null;
        }
    }

    /// <summary>Depots are shared across trials like sites: create the new ones and keep their details current.</summary>
    private async Task<Dictionary<string, Data.Depot>> UpsertDepotsAsync(IReadOnlyList<Domain.Protocols.Depot> depots, CancellationToken cancellationToken)
    {
        var codes = depots.Select(d => d.Code).ToList();
        var existing = await db.Depots.Where(d => codes.Contains(d.Code)).ToDictionaryAsync(d => d.Code, StringComparer.Ordinal, cancellationToken);
        foreach (var depot in depots)
        {
            if (!existing.TryGetValue(depot.Code, out var row))
            {
                row = new Data.Depot { Code = depot.Code };
                db.Depots.Add(row);
                existing[depot.Code] = row;
            }

            row.Name = depot.Name;
            row.Country = depot.Country;
            row.TimeZone = depot.TimeZone;
        }

        return existing;
    }

    /// <summary>Only the file's own name, printable and bounded; browsers may send full paths or odd characters.</summary>
    public static string SafeFileName(string? fileName)
    {
        var name = Path.GetFileName((fileName ?? "").Replace('\\', '/'));
        name = new string([.. name.Where(c => !char.IsControl(c))]).Trim();
        return name.Length == 0 ? "protocol.yaml" : name[..Math.Min(name.Length, 255)];
    }
}
