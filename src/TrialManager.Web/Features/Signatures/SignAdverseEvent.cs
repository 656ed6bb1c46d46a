using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Safety;

namespace TrialManager.Web.Features.Signatures;

/// <summary>
/// An investigator signs an adverse event report as it stands (its current version), with the same two components
/// and meanings as a visit signature. A follow-up is a new version, so it shows the earlier signature as broken
/// until someone signs again. See README.md beside this file.
/// </summary>
public sealed class SignAdverseEvent(TrialDbContext db, SafetyAccess access, SignatureCheck check, TimeProvider clock)
{
    public const string PasswordField = SignVisit.PasswordField;
    public const string MeaningField = SignVisit.MeaningField;

    public async Task<OperationResult> ExecuteAsync(Guid eventId, string? meaning, string? password, CancellationToken cancellationToken = default)
    {
        var adverseEvent = await access.EventForSiteWorkAsync(eventId, Policies.Sign, cancellationToken);
        var (user, refusal) = await check.ConfirmAsync(meaning, password, new SignedRecord(nameof(AdverseEvent), adverseEvent.Id.ToString(), new { Event = adverseEvent.Number }, adverseEvent.TrialId, adverseEvent.SiteId, adverseEvent.ParticipantId), cancellationToken);
        if (user is null)
        {
            return refusal!;
        }

        var version = await db.AdverseEventVersions.AsNoTracking().SingleAsync(v => v.AdverseEventId == adverseEvent.Id && v.Version == adverseEvent.CurrentVersion, cancellationToken);
        db.Signatures.Add(new Signature
        {
            TrialId = adverseEvent.TrialId,
            SiteId = adverseEvent.SiteId,
            ParticipantId = adverseEvent.ParticipantId,
            Subject = SignatureSubject.AdverseEvent,
            AdverseEventId = adverseEvent.Id,
            AdverseEventVersion = version.Version,
            Meaning = meaning!,
            ContentHash = ContentHash(version),
            SignedByUserId = user.Id,
            SignedByName = user.DisplayName,
            SignedAt = clock.GetUtcNow(),
        });
        db.AuditAction("Sign", nameof(AdverseEvent), adverseEvent.Id.ToString(), new { Event = adverseEvent.Number, Version = version.Version, Meaning = meaning }, adverseEvent.TrialId, adverseEvent.SiteId, adverseEvent.ParticipantId);
        await db.SaveChangesAsync(cancellationToken);
        return OperationResult.Success;
    }

    /// <summary>The latest signature of the event and whether the report has changed (a new version) since.</summary>
    public static SignVisit.State Status(IReadOnlyList<Signature> signatures, AdverseEventVersion current)
    {
        var latest = signatures.OrderByDescending(s => s.AdverseEventVersion).ThenByDescending(s => s.SignedAt).FirstOrDefault();
        return latest is null ? new SignVisit.State(null, false) : new SignVisit.State(latest, latest.ContentHash != ContentHash(current));
    }

    /// <summary>SHA-256 over every field of the report version the site states (not when it was received).</summary>
    public static string ContentHash(AdverseEventVersion v)
    {
        string[] fields =
        [
            v.AdverseEventId.ToString(), v.Version.ToString(CultureInfo.InvariantCulture), v.ReportedTerm, v.CodedTerm ?? "", v.Code ?? "",
            v.Onset.ToString("O", CultureInfo.InvariantCulture), v.End?.ToString("O", CultureInfo.InvariantCulture) ?? "",
            v.Grade.ToString(CultureInfo.InvariantCulture), v.Serious ? "1" : "0", v.SeriousnessCriteria, v.Causality.ToString(),
            v.ActionTaken.ToString(), v.Outcome.ToString(), v.SpecialInterestCode ?? "", v.Narrative ?? "",
            v.SiteAwareAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), v.FollowUpNote ?? "",
        ];
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001f', fields))));
    }
}
