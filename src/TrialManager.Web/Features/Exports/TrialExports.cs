using System.Globalization;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using TrialManager.Domain.Access;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Exports;

/// <summary>An export's file: its name carries the trial, the kind, blinded or UNBLINDED, the time and the start of its SHA-256.</summary>
public sealed record ExportFile(string FileName, string ContentType, byte[] Content, string ContentHash);

/// <summary>What was asked for: the format, and for ODM whether audit records and signatures go in.</summary>
public sealed record ExportRequest(ExportFormat Format, bool Unblinded = false, bool Audit = false, bool Signatures = false);

/// <summary>
/// Exports of a whole trial. Blinded exports are the data manager's, at any time (marked with the lock level). Unblinded
/// ones, with each participant's arm, open to the data manager and the DSMB only after final unblinding, which needs the
/// hard lock and two people. Each file is recorded (who, when, what, its SHA-256) and audited; refusals are audited too.
/// </summary>
public sealed class TrialExports(TrialDbContext db, CurrentUser me, ExportReader reader)
{
    public const string NoSuchTrial = "No such trial.";

    public const string NotUnblinded = "Unblinded exports open only after final unblinding: the database hard-locked, then two people approving the release.";

    public async Task<OperationResult<ExportFile>> ExportAsync(string trialCode, ExportRequest request, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.Exports);
        var trial = await db.Trials.AsNoTracking().SingleOrDefaultAsync(t => t.Code == trialCode, cancellationToken);
        if (trial is null)
        {
            return new(OperationResult.Fail("", NoSuchTrial), null);
        }

        // The DSMB holds the allocation's confidentiality, not the data cleaning: its members take only the final, unblinded data.
        if (!request.Unblinded && !me.IsInRole(TrialRoles.DataManager))
        {
            throw new OperationForbiddenException("Blinded exports are the data manager's.");
        }

        if (request.Unblinded && trial.FinalUnblindedAt is null)
        {
            db.AuditAction("ExportRefused", nameof(Trial), trial.Id.ToString(), new { Format = request.Format.ToString(), Unblinded = true, Why = "not finally unblinded" }, trial.Id);
            await db.SaveChangesAsync(cancellationToken);
            return new(OperationResult.Fail("", NotUnblinded), null);
        }

        var scope = new ExportScope(Audit: request.Format == ExportFormat.Odm && request.Audit, Signatures: request.Format == ExportFormat.Odm && request.Signatures, Unblinded: request.Unblinded);
        var snapshot = await reader.ReadAsync(trial.Id, scope, me.DisplayName, cancellationToken);
        var (content, contentType, kind, extension) = request.Format == ExportFormat.Odm
            ? (OdmExport.Write(snapshot), "application/xml", "odm", "xml")
            : (await CsvExport.WriteAsync(snapshot, cancellationToken), "application/zip", "csv", "zip");
        var hash = Convert.ToHexStringLower(SHA256.HashData(content));
        var at = snapshot.Trial.ExportedAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var fileName = $"{trial.Code}_{kind}_{(request.Unblinded ? "UNBLINDED" : "blinded")}_{at}_{hash[..16]}.{extension}";
        var record = new ExportRecord
        {
            TrialId = trial.Id,
            Format = request.Format,
            Unblinded = request.Unblinded,
            Options = scope.Options,
            FileName = fileName,
            ContentHash = hash,
            Bytes = content.LongLength,
            Participants = snapshot.Participants.Count,
            ExportedByUserId = me.Id,
            ExportedByName = me.DisplayName,
            ExportedAt = snapshot.Trial.ExportedAt,
        };
        db.ExportRecords.Add(record);
        db.AuditAction("Export", nameof(ExportRecord), record.Id.ToString(),
            new { Format = request.Format.ToString(), request.Unblinded, record.Options, FileName = fileName, ContentHash = hash, record.Participants }, trial.Id);
        await db.SaveChangesAsync(cancellationToken);
        return new(OperationResult.Success, new ExportFile(fileName, contentType, content, hash));
    }

    /// <summary>The trial's export history, newest first, for people who may export.</summary>
    public async Task<IReadOnlyList<ExportRecord>> HistoryAsync(Guid trialId, int take = 100, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.Exports);
        return await db.ExportRecords.AsNoTracking().Where(e => e.TrialId == trialId).OrderByDescending(e => e.ExportedAt).Take(take).ToListAsync(cancellationToken);
    }
}
