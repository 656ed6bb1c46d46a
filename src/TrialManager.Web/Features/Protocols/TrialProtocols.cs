using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Protocols;
using TrialManager.Web.Data;
using TrialManager.Web.Sealing;

namespace TrialManager.Web.Features.Protocols;

/// <summary>
/// The parsed protocol of a stored protocol version. Versions never change once imported, so each is parsed once per
/// process; the stored text is checked against its recorded content hash before use.
/// </summary>
public sealed class TrialProtocols(IDbContextFactory<TrialDbContext> dbFactory, Sealer sealer)
{
    private readonly ConcurrentDictionary<Guid, Protocol> _parsed = new();

    public async Task<Protocol> ForVersionAsync(Guid protocolVersionId, CancellationToken cancellationToken = default)
    {
        if (_parsed.TryGetValue(protocolVersionId, out var cached))
        {
            return cached;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var version = await db.ProtocolVersions.AsNoTracking().SingleAsync(v => v.Id == protocolVersionId, cancellationToken);
        return _parsed.GetOrAdd(protocolVersionId, Parse(version));
    }

    /// <summary>The version in force (the newest) of a trial.</summary>
    public async Task<(Guid VersionId, Protocol Protocol)> CurrentAsync(Guid trialId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var versionId = await db.ProtocolVersions.Where(v => v.TrialId == trialId).OrderByDescending(v => v.Sequence).Select(v => v.Id).FirstAsync(cancellationToken);
        return (versionId, await ForVersionAsync(versionId, cancellationToken));
    }

    private Protocol Parse(ProtocolVersion version)
    {
        var text = System.Text.Encoding.UTF8.GetString(sealer.OpenWithInstallationKey(ProtocolImporter.SourceTextPurpose, version.Id, version.SealedSourceText));
        var load = ProtocolLoader.Load(text, version.FileName);
        if (!load.Succeeded || load.Protocol.ContentHash != version.ContentHash)
        {
            throw new InvalidOperationException($"Stored protocol version {version.Id} no longer matches its content hash; it was altered in the database.");
        }

        return load.Protocol;
    }
}
