using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Protocols;

namespace TrialManager.Web.Features.Signatures;

/// <summary>
/// An investigator signs all forms of one visit: two components (the signed-in user id and the password entered
/// again now), a stated meaning, and the printed name and UTC time. The signature holds a SHA-256 of the visit's
/// form content; <see cref="StatusAsync"/> reports it broken as soon as any value changes. Wrong passwords are refused,
/// audited, and count toward lockout. See README.md beside this file.
/// </summary>
public sealed class SignVisit(TrialDbContext db, ParticipantAccess access, TrialProtocols protocols, SignatureCheck check, CurrentUser me, TimeProvider clock)
{
    public const string PasswordField = SignatureCheck.PasswordField;
    public const string MeaningField = SignatureCheck.MeaningField;

    public static IReadOnlyList<string> Meanings => SignatureCheck.Meanings;

    public sealed record State(Signature? Latest, bool Broken);

    public async Task<OperationResult> ExecuteAsync(Guid participantId, string visitCode, string? meaning, string? password, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.Sign);
        var participant = await access.ForSiteWorkAsync(participantId, cancellationToken);
        var protocol = await protocols.ForVersionAsync(participant.ProtocolVersionId, cancellationToken);
        var visit = protocol.FindVisit(visitCode);
        if (visit is null || visit.Forms.Count == 0)
        {
            return OperationResult.Fail("", "That visit has no forms to sign.");
        }

        var complete = await db.FormEntries.CountAsync(e => e.ParticipantId == participant.Id && e.VisitCode == visit.Code && e.Status == FormStatus.Complete, cancellationToken);
        if (complete < visit.Forms.Count)
        {
            return OperationResult.Fail("", "Complete every form of the visit before signing it.");
        }

        var (user, refusal) = await check.ConfirmAsync(meaning, password, new SignedRecord(nameof(Participant), participant.Id.ToString(), new { Visit = visit.Code }, participant.TrialId, participant.SiteId, participant.Id), cancellationToken);
        if (user is null)
        {
            return refusal!;
        }

        db.Signatures.Add(new Signature
        {
            TrialId = participant.TrialId,
            SiteId = participant.SiteId,
            ParticipantId = participant.Id,
            Subject = SignatureSubject.Visit,
            VisitCode = visit.Code,
            Meaning = meaning!,
            ContentHash = await ContentHashAsync(participant.Id, visit.Code, cancellationToken),
            SignedByUserId = user.Id,
            SignedByName = user.DisplayName,
            SignedAt = clock.GetUtcNow(),
        });
        db.AuditAction("Sign", nameof(Participant), participant.Id.ToString(), new { Visit = visit.Code, Meaning = meaning }, participant.TrialId, participant.SiteId, participant.Id);
        await db.SaveChangesAsync(cancellationToken);
        return OperationResult.Success;
    }

    /// <summary>The latest signature of a visit and whether the content has changed since it was signed.</summary>
    public async Task<State> StatusAsync(Guid participantId, string visitCode, CancellationToken cancellationToken = default)
    {
        var latest = await db.Signatures.AsNoTracking().Where(s => s.ParticipantId == participantId && s.Subject == SignatureSubject.Visit && s.VisitCode == visitCode).OrderByDescending(s => s.SignedAt).FirstOrDefaultAsync(cancellationToken);
        return latest is null ? new State(null, false) : new State(latest, latest.ContentHash != await ContentHashAsync(participantId, visitCode, cancellationToken));
    }

    /// <summary>SHA-256 over the visit's forms: each form's code and status, then its field values, in code order.</summary>
    public async Task<string> ContentHashAsync(Guid participantId, string visitCode, CancellationToken cancellationToken)
    {
        var entries = await db.FormEntries.AsNoTracking().Include(e => e.Values)
            .Where(e => e.ParticipantId == participantId && e.VisitCode == visitCode)
            .ToListAsync(cancellationToken);
        return ContentHashOf(entries);
    }

    /// <summary>The same hash over entries already read (with their values), so documents need not read them twice.</summary>
    public static string ContentHashOf(IEnumerable<FormEntry> entries)
    {
        var text = new StringBuilder();
        foreach (var entry in entries.OrderBy(e => e.FormCode, StringComparer.Ordinal))
        {
            text.Append(entry.FormCode).Append('\u001f').Append(entry.Status).Append('\u001e');
            foreach (var value in entry.Values.OrderBy(v => v.FieldCode, StringComparer.Ordinal))
            {
                text.Append(value.FieldCode).Append('\u001f').Append(value.Value).Append('\u001e');
            }

            text.Append('\u001d');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
